import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import type { DeployRecord } from '../../../src/core/deploy-types.js';
import { checkRunFor } from '../../../src/forge/github-app/check-run-report.js';

const config = configSchema.parse({
  global: { public_url: 'https://dw.example' },
  projects: {
    web: {
      image: 'ghcr.io/acme/web',
      port: 8080,
      repository: 'acme/web',
      stages: {
        dev: { tag_pattern: 'dev-*', auto_deploy: true },
        prod: { tag_pattern: 'v*', promote_from: 'dev' },
      },
    },
  },
});

const record = (patch: Partial<DeployRecord>): DeployRecord =>
  ({
    id: 'd1',
    kind: 'deploy',
    project: 'web',
    stage: 'dev',
    status: 'running',
    attempt: 1,
    phases: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    intent: {
      project: 'web',
      stage: 'dev',
      tag: 'dev-7',
      trigger: 'ci',
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: 'acme/web',
        sha: 'a'.repeat(40),
        pr: 7,
      },
    },
    ...patch,
  }) as DeployRecord;

describe('checkRunFor', () => {
  it('is in progress with the phases so far and a link to the deploy page', () => {
    const run = checkRunFor(
      config,
      record({
        phases: [
          {
            phase: 'resolve',
            startedAt: '2026-01-01T00:00:01.000Z',
            finishedAt: '2026-01-01T00:00:01.500Z',
            ok: true,
          },
          { phase: 'pull', startedAt: '2026-01-01T00:00:01.500Z' },
        ],
      }),
      'a'.repeat(40),
    );
    expect(run).toMatchObject({
      status: 'in_progress',
      externalId: 'd1',
      detailsUrl: 'https://dw.example/deploys/d1',
    });
    expect(run.conclusion).toBeUndefined();
    expect(run.summary).toContain('| resolve | ✅ done | 0.5 s |');
    expect(run.summary).toContain('| pull | ⏳ running |');
    expect(run.actions).toEqual([]);
  });

  it('fails with the cause and the last 30 log lines, a fence in a line kept harmless', () => {
    const logs = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    logs.push('``` escape');
    const run = checkRunFor(
      config,
      record({
        status: 'failed',
        finishedAt: '2026-01-01T00:00:09.000Z',
        error: {
          phase: 'health',
          message: 'HTTP 500 on /health',
          summary: 'HTTP 500 on /health (4s)',
          containerLogs: logs,
        },
      }),
      'a'.repeat(40),
    );
    expect(run).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      completedAt: '2026-01-01T00:00:09.000Z',
    });
    expect(run.summary).toContain('**Failed in health**: HTTP 500 on /health (4s)');
    expect(run.text).toContain('Last 30 log lines');
    expect(run.text).not.toContain('line 10\n');
    expect(run.text).toContain('line 39');
    expect(run.text).not.toMatch(/^``` escape$/m);
  });

  it('offers Approve while it waits, Promote and Roll back once live, nothing without a PR', () => {
    expect(
      checkRunFor(config, record({ status: 'awaiting_approval' }), 'a').actions.map((a) => a.identifier),
    ).toEqual(['approve']);
    const live = checkRunFor(
      config,
      record({ status: 'succeeded', finishedAt: '2026-01-01T00:00:05.000Z' }),
      'a',
    );
    expect(live.actions.map((a) => [a.identifier, a.label])).toEqual([
      ['promote:prod', 'Promote to prod'],
      ['rollback', 'Roll back'],
    ]);
    for (const action of live.actions) expect(action.description.length).toBeLessThanOrEqual(40);
    const noPr = record({ status: 'awaiting_approval' });
    delete (noPr.intent.source as { pr?: number }).pr;
    expect(checkRunFor(config, noPr, 'a').actions).toEqual([]);
  });

  it('is cancelled when superseded', () => {
    expect(checkRunFor(config, record({ status: 'superseded' }), 'a').conclusion).toBe('cancelled');
  });
});
