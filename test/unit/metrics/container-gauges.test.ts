import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerStats } from '../../../src/docker/engine.js';
import { registerContainerGauges } from '../../../src/metrics/container-gauges.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeDockerEngine } from '../../fakes/fake-docker-engine.js';
import { spec } from '../../fakes/ops-app-fixture.js';
import { parseExposition } from './parse-exposition.js';

const MiB = 1024 * 1024;

/** An engine whose stats never answer for `stuck` and ignore the abort signal. */
class StuckStatsEngine extends FakeDockerEngine {
  stuck = '';
  override containerStats(id: string, signal?: AbortSignal): Promise<ContainerStats> {
    return id === this.stuck ? new Promise(() => undefined) : super.containerStats(id, signal);
  }
}

let store: Store | undefined;
afterEach(() => store?.close());

function makeLive(docker: FakeDockerEngine, project: string, stage: string) {
  const container = docker.addContainer(spec(project, stage, `dw-${project}-${stage}-v1`), {
    state: 'running',
  });
  store!.setLive({
    project,
    stage,
    deployId: `d-${project}-${stage}`,
    tag: 'v1',
    image: `127.0.0.1:5000/acme/${project}`,
    imageRef: container.image,
    containerId: container.id,
    containerName: container.name,
    since: new Date().toISOString(),
  });
  return container;
}

describe('container resource gauges', () => {
  it('reports CPU, memory, limit and restarts of each live container by project and stage', async () => {
    store = openSqliteStore(':memory:');
    const docker = new FakeDockerEngine();
    const web = makeLive(docker, 'web', 'dev');
    makeLive(docker, 'shop', 'prod');
    docker.setStats(web.id, { cpuPercent: 12.5, memoryBytes: 40 * MiB, memoryLimitBytes: 64 * MiB });
    docker.patchContainer(web.id, { restartCount: 3 });
    const metrics = createMetrics({ store });
    registerContainerGauges(metrics, { docker, store });

    const { samples, type } = parseExposition(await metrics.scrape());
    const value = (name: string, project: string) =>
      samples.find((s) => s.name === name && s.labels.project === project)?.value;
    expect(type.get('docker_watcher_container_cpu_percent')).toBe('gauge');
    expect(value('docker_watcher_container_cpu_percent', 'web')).toBe(12.5);
    expect(value('docker_watcher_container_memory_bytes', 'web')).toBe(40 * MiB);
    expect(value('docker_watcher_container_memory_limit_bytes', 'web')).toBe(64 * MiB);
    expect(value('docker_watcher_container_restarts', 'web')).toBe(3);
    expect(value('docker_watcher_container_restarts', 'shop')).toBe(0);
    expect(
      samples.find((s) => s.name === 'docker_watcher_container_cpu_percent' && s.labels.project === 'web')
        ?.labels,
    ).toEqual({ project: 'web', stage: 'dev' });
    // The synchronous families are still there, and render() does not wait for containers.
    expect(type.get('docker_watcher_queue_depth')).toBe('gauge');
    expect(metrics.render()).not.toContain('docker_watcher_container_cpu_percent');
  });

  it('leaves out a container that is gone and one that does not answer within the time limit', async () => {
    store = openSqliteStore(':memory:');
    const docker = new StuckStatsEngine();
    const gone = makeLive(docker, 'web', 'dev');
    await docker.removeContainer(gone.id);
    makeLive(docker, 'shop', 'dev');
    docker.stuck = makeLive(docker, 'web', 'prod').id;
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const metrics = createMetrics({ store, logger, asyncTimeoutMs: 250 });
    registerContainerGauges(metrics, { docker, store, logger });

    const started = Date.now();
    const { samples } = parseExposition(await metrics.scrape());
    expect(Date.now() - started).toBeLessThan(2000);
    const cpu = samples.filter((s) => s.name === 'docker_watcher_container_cpu_percent');
    expect(cpu.map((s) => `${s.labels.project}/${s.labels.stage}`)).toEqual(['shop/dev']);
    expect(warnings).toContain('could not read the resource use of a live container');
    expect(samples.some((s) => s.name === 'docker_watcher_queue_depth')).toBe(true);
  });
});
