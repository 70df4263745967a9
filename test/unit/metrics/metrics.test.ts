import { afterEach, describe, expect, it } from 'vitest';
import type { DeployEvent, DeployRecord } from '../../../src/core/deploy-types.js';
import { createMetrics, DURATION_BUCKETS } from '../../../src/metrics/metrics.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeDeployer } from '../../fakes/fake-deployer.js';
import { parseExposition, type ParsedSample } from './parse-exposition.js';

const fixedProcess = {
  residentMemoryBytes: () => 123_456_789,
  uptimeSeconds: () => 42.5,
  startTimeSeconds: 1_735_689_600,
};
const intent = (project: string, stage: string, tag: string) => ({
  project,
  stage,
  image: `127.0.0.1:5000/acme/${project}`,
  tag,
  trigger: 'ci' as const,
});

let store: Store | undefined;
afterEach(() => store?.close());

function valueOf(
  samples: ParsedSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

describe('createMetrics', () => {
  it('counts ended deploys by status as the deploy service reports them', async () => {
    store = openSqliteStore(':memory:');
    const metrics = createMetrics({ store, process: fixedProcess });
    const deploys = new FakeDeployer({
      store,
      observers: [metrics],
      outcome: (i) => (i.tag === 'dev-bad' ? { failAt: 'health' } : {}),
    });
    for (const tag of ['dev-1', 'dev-bad', 'dev-2']) {
      await deploys.run(deploys.submit(intent('web', 'dev', tag)).id);
    }
    deploys.submit(intent('web', 'dev', 'dev-3'));
    const parsed = parseExposition(metrics.render());
    expect(parsed.type.get('docker_watcher_deploys_total')).toBe('counter');
    expect(
      valueOf(parsed.samples, 'docker_watcher_deploys_total', {
        project: 'web',
        stage: 'dev',
        status: 'succeeded',
      }),
    ).toBe(2);
    expect(valueOf(parsed.samples, 'docker_watcher_deploys_total', { status: 'failed' })).toBe(1);
    expect(valueOf(parsed.samples, 'docker_watcher_queue_depth')).toBe(1);
    // Every phase of the two good deploys and the phases up to health of the bad one.
    expect(valueOf(parsed.samples, 'docker_watcher_deploy_phase_seconds_count', { phase: 'health' })).toBe(3);
    expect(valueOf(parsed.samples, 'docker_watcher_deploy_phase_seconds_count', { phase: 'switch' })).toBe(2);
  });

  it('observes phase and deploy durations from the record of an ended deploy', () => {
    store = openSqliteStore(':memory:');
    const metrics = createMetrics({ store, process: fixedProcess });
    const record: DeployRecord = {
      kind: 'deploy',
      attempt: 1,
      id: 'd1',
      project: 'web',
      stage: 'prod',
      status: 'succeeded',
      intent: intent('web', 'prod', 'v1'),
      phases: [
        {
          phase: 'pull',
          startedAt: '2025-01-01T00:00:00.000Z',
          finishedAt: '2025-01-01T00:00:07.000Z',
          ok: true,
        },
        {
          phase: 'health',
          startedAt: '2025-01-01T00:00:07.000Z',
          finishedAt: '2025-01-01T00:00:07.200Z',
          ok: true,
        },
        { phase: 'drain', startedAt: '2025-01-01T00:00:07.200Z' },
      ],
      createdAt: '2025-01-01T00:00:00.000Z',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:02:30.000Z',
    };
    const event = (status: DeployEvent['status'], type: DeployEvent['type'] = 'status'): DeployEvent => ({
      deployId: 'd1',
      seq: 1,
      at: '2025-01-01T00:02:30.000Z',
      type,
      level: 'info',
      message: 'm',
      ...(status ? { status } : {}),
    });
    metrics.onDeployEvent(event('running'), record);
    metrics.onDeployEvent(event(undefined, 'phase'), record);
    metrics.onDeployEvent(event('succeeded'), record);
    const { samples } = parseExposition(metrics.render());
    const buckets = (name: string, labels: Record<string, string>) =>
      samples
        .filter(
          (s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )
        .map((s) => [s.labels.le, s.value]);
    expect(buckets('docker_watcher_deploy_phase_seconds', { phase: 'pull' })).toEqual([
      ...DURATION_BUCKETS.map((le) => [String(le), le >= 7 ? 1 : 0]),
      ['+Inf', 1],
    ]);
    expect(valueOf(samples, 'docker_watcher_deploy_phase_seconds_sum', { phase: 'health' })).toBeCloseTo(0.2);
    expect(valueOf(samples, 'docker_watcher_deploy_phase_seconds_count', { phase: 'drain' })).toBeUndefined();
    expect(
      valueOf(samples, 'docker_watcher_deploy_duration_seconds_sum', {
        project: 'web',
        stage: 'prod',
        status: 'succeeded',
      }),
    ).toBe(150);
    expect(valueOf(samples, 'docker_watcher_deploy_duration_seconds_bucket', { le: '120' })).toBe(0);
    expect(valueOf(samples, 'docker_watcher_deploy_duration_seconds_bucket', { le: '300' })).toBe(1);
    expect(valueOf(samples, 'docker_watcher_deploys_total')).toBe(1);
  });

  it('reads live versions, approvals and process stats at scrape time; hooks for the poller', () => {
    store = openSqliteStore(':memory:');
    const metrics = createMetrics({ store, process: fixedProcess });
    store.setLive({
      project: 'we"b',
      stage: 'dev',
      deployId: 'd1',
      tag: 'dev-\\1',
      image: 'i',
      imageRef: 'i:dev-1',
      containerId: 'c',
      containerName: 'n',
      since: '2025-01-01T00:00:00.000Z',
    });
    store.createDeploy({
      kind: 'deploy',
      id: 'd2',
      intent: intent('web', 'prod', 'v2'),
      status: 'awaiting_approval',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    metrics.incPollerError('web');
    metrics.incPollerError('web');
    let failures = 3;
    metrics.registerGauge('docker_watcher_poller_consecutive_failures', 'Failed polls in a row', () => [
      { labels: { project: 'web' }, value: failures },
    ]);
    expect(() => metrics.registerGauge('docker_watcher_queue_depth', 'again', () => [])).toThrow(
      /registered twice/,
    );
    failures = 4;
    const text = metrics.render();
    expect(text).toContain('docker_watcher_live_info{project="we\\"b",stage="dev",tag="dev-\\\\1"} 1\n');
    const parsed = parseExposition(text);
    expect(valueOf(parsed.samples, 'docker_watcher_live_info')).toBe(1);
    expect(parsed.samples.find((s) => s.name === 'docker_watcher_live_info')?.labels).toEqual({
      project: 'we"b',
      stage: 'dev',
      tag: 'dev-\\1',
    });
    expect(valueOf(parsed.samples, 'docker_watcher_deploys_awaiting_approval')).toBe(1);
    expect(valueOf(parsed.samples, 'docker_watcher_queue_depth')).toBe(0);
    expect(valueOf(parsed.samples, 'docker_watcher_poller_errors_total', { project: 'web' })).toBe(2);
    expect(valueOf(parsed.samples, 'docker_watcher_poller_consecutive_failures', { project: 'web' })).toBe(4);
    expect(valueOf(parsed.samples, 'process_resident_memory_bytes')).toBe(123_456_789);
    expect(valueOf(parsed.samples, 'docker_watcher_uptime_seconds')).toBe(42.5);
    for (const name of parsed.type.keys()) expect(parsed.help.get(name), name).toBeTruthy();
  });

  it('keeps serving when one source fails', () => {
    store = openSqliteStore(':memory:');
    const metrics = createMetrics({ store });
    metrics.registerGauge('broken', 'x', () => {
      throw new Error('poller gone');
    });
    const parsed = parseExposition(metrics.render());
    expect(parsed.type.has('broken')).toBe(false);
    expect(valueOf(parsed.samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
