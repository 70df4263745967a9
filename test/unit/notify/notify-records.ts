import type { VersionDeployRecord } from '../../../src/core/deploy-types.js';

/** A finished deploy of web v1.2.0 to prod from a GitHub Actions run, as the store returns it. */
export function succeededRecord(overrides: Partial<VersionDeployRecord> = {}): VersionDeployRecord {
  return {
    kind: 'deploy',
    attempt: 1,
    id: '01JDEPLOY0001',
    project: 'web',
    stage: 'prod',
    status: 'succeeded',
    intent: {
      project: 'web',
      stage: 'prod',
      image: 'git.example.com/acme/web',
      tag: 'v1.2.0',
      digest: `sha256:${'b'.repeat(64)}`,
      trigger: 'ci',
      source: {
        forge: 'github',
        serverUrl: 'https://github.com/',
        repository: 'acme/web',
        sha: 'abc123',
        runUrl: 'https://github.com/acme/web/actions/runs/7',
        actor: 'alice',
      },
    },
    digest: `sha256:${'b'.repeat(64)}`,
    url: 'https://www.example.com',
    phases: [],
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: '2025-01-01T00:00:01.000Z',
    finishedAt: '2025-01-01T00:00:31.000Z',
    approvedBy: 'api-token',
    ...overrides,
  };
}

/** The same deploy, failed in the health phase (no URL, no source). */
export function failedRecord(): VersionDeployRecord {
  const base = succeededRecord();
  const { source: _source, ...intent } = base.intent;
  const { url: _url, approvedBy: _approvedBy, ...rest } = base;
  return {
    ...rest,
    status: 'failed',
    intent: { ...intent, requestedBy: 'bob', trigger: 'manual' },
    error: {
      phase: 'health',
      message: 'GET / answered 502 <Bad Gateway> & gave up',
      containerLogs: ['boom'],
    },
  };
}
