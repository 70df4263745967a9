import { describe, expect, it } from 'vitest';
import type { DeployFailure, DeployStatus, VersionDeployRecord } from '../../../src/core/deploy-types.js';
import { commitStatusFor, type ReportLinks } from '../../../src/forge/deploy-report.js';
import { MAX_STATUS_DESCRIPTION } from '../../../src/forge/forge-common.js';

const PUBLIC = 'https://dw.example.test';
const links: ReportLinks = { publicUrl: PUBLIC, publicStageUrls: false };

function record(
  status: DeployStatus,
  error?: DeployFailure,
  extra: Partial<VersionDeployRecord> = {},
): VersionDeployRecord {
  return {
    kind: 'deploy',
    attempt: 1,
    id: 'd0001',
    project: 'web',
    stage: 'production-eu-west',
    status,
    intent: {
      project: 'web',
      stage: 'production-eu-west',
      image: 'registry.example.test/acme/web',
      tag: 'release-2025.01.01-abcdef1234567890',
      trigger: 'ci',
    },
    createdAt: '2025-01-01T00:00:00.000Z',
    phases: [],
    ...(error === undefined ? {} : { error }),
    ...extra,
  };
}

const LONG_HEALTH =
  'container dw-web-production-eu-west-release-2025.01.01-abcdef1234567890 did not become healthy within 12s at ' +
  "http://127.0.0.1:32768/health: last probe saw HTTP 404; check the app's health path and logs, or raise health.deadline_seconds";

describe('commitStatusFor', () => {
  it('puts the cause of a failure first, within 140 characters, linking the deploy page', () => {
    const status = commitStatusFor(
      record('failed', { phase: 'health', message: LONG_HEALTH, summary: 'HTTP 404 on /health (12s)' }),
      links,
    );
    expect(status.state).toBe('failure');
    expect(status.description.startsWith('failed in health: HTTP 404 on /health (12s)')).toBe(true);
    expect(status.description.length).toBeLessThanOrEqual(MAX_STATUS_DESCRIPTION);
    expect(status.targetUrl).toBe(`${PUBLIC}/deploys/d0001`);
  });

  it('names the cause within 140 characters for every final state', () => {
    const cases: [DeployStatus, DeployFailure | undefined, RegExp][] = [
      [
        'failed',
        { phase: 'health', message: LONG_HEALTH, summary: 'container exited with code 3' },
        /^failed in health: container exited with code 3/,
      ],
      [
        'failed',
        { phase: 'pull', message: 'pull registry.example.test/acme/web:v9: manifest unknown' },
        /^failed in pull: pull \S+: manifest unknown/,
      ],
      [
        'interrupted',
        { phase: 'pull', message: 'interrupted by a restart of docker-watcher during phase pull' },
        /^interrupted by a restart of docker-watcher during phase pull/,
      ],
      [
        'interrupted',
        { phase: 'health', message: 'aborted during health: docker-watcher is shutting down' },
        /^interrupted: aborted during health: docker-watcher is shutting down/,
      ],
      ['superseded', undefined, /^superseded by a newer deploy of production-eu-west/],
      ['cancelled', undefined, /^cancelled/],
    ];
    for (const [status, error, cause] of cases) {
      const description = commitStatusFor(record(status, error), links).description;
      expect(description).toMatch(cause);
      expect(description.length, description).toBeLessThanOrEqual(MAX_STATUS_DESCRIPTION);
    }
  });

  it('adds what was deployed where when it fits', () => {
    const short = { ...record('failed', { phase: 'health', message: 'x', summary: 'HTTP 500 on / (5s)' }) };
    short.intent = { ...short.intent, tag: 'v2' };
    expect(commitStatusFor(short, links).description).toBe(
      'failed in health: HTTP 500 on / (5s) (v2 to production-eu-west)',
    );
  });

  it('links a succeeded deploy to its URL only when a proxy makes it public', () => {
    const done = record('succeeded', undefined, { url: 'http://127.0.0.1:32768' });
    expect(commitStatusFor(done, links).targetUrl).toBe(`${PUBLIC}/deploys/d0001`);
    expect(commitStatusFor(done, { publicUrl: undefined, publicStageUrls: false }).targetUrl).toBeUndefined();
    const proxied = record('succeeded', undefined, { url: 'https://web-dev.example.test' });
    expect(commitStatusFor(proxied, { ...links, publicStageUrls: true }).targetUrl).toBe(
      'https://web-dev.example.test',
    );
  });
});
