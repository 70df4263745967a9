import type { ContainerStats, DockerEngine } from '../docker/engine.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { MetricFamily } from './exposition.js';
import type { Metrics } from './metrics.js';

export interface ContainerGaugeDeps {
  docker: DockerEngine;
  store: Store;
  logger?: Logger;
}

type Measured = Exclude<ContainerStats, { state: 'gone' }>;

const GAUGES: { name: string; help: string; read: (stats: Measured) => number }[] = [
  {
    name: 'docker_watcher_container_cpu_percent',
    help: "CPU use of each stage's live container, % of one core (like docker stats)",
    read: (stats) => stats.cpuPercent,
  },
  {
    name: 'docker_watcher_container_memory_bytes',
    help: "Memory used by each stage's live container, without the page cache",
    read: (stats) => stats.memoryBytes,
  },
  {
    name: 'docker_watcher_container_memory_limit_bytes',
    help: "Memory limit of each stage's live container (the host's memory when it has none)",
    read: (stats) => stats.memoryLimitBytes,
  },
  {
    name: 'docker_watcher_container_restarts',
    help: "Times the engine restarted each stage's live container",
    read: (stats) => stats.restartCount,
  },
];

/** `work`, or its rejection as soon as `signal` aborts, should the engine not heed the signal. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason as Error);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * Resource gauges of every stage's live container, sampled in parallel. A container that is
 * gone, fails or does not answer before `signal` aborts is left out (and logged), the rest is
 * reported.
 */
export async function containerResourceFamilies(
  deps: ContainerGaugeDeps,
  signal: AbortSignal,
): Promise<MetricFamily[]> {
  const logger = deps.logger ?? silentLogger;
  const lives = deps.store.listLive();
  const results = await Promise.allSettled(
    lives.map((live) => untilAborted(deps.docker.containerStats(live.containerId, signal), signal)),
  );
  const measured: { labels: Record<string, string>; stats: Measured }[] = [];
  results.forEach((result, index) => {
    const live = lives[index]!;
    if (result.status === 'rejected') {
      logger.warn('could not read the resource use of a live container', {
        project: live.project,
        stage: live.stage,
        container: live.containerName,
        error: result.reason,
      });
    } else if (result.value.state !== 'gone') {
      measured.push({ labels: { project: live.project, stage: live.stage }, stats: result.value });
    }
  });
  return GAUGES.map((gauge) => ({
    name: gauge.name,
    help: gauge.help,
    type: 'gauge',
    samples: measured.map(({ labels, stats }) => ({ labels, value: gauge.read(stats) })),
  }));
}

/** Adds the live containers' resource gauges to `metrics`, read at every scrape. */
export function registerContainerGauges(
  metrics: Pick<Metrics, 'registerAsyncGauges'>,
  deps: ContainerGaugeDeps,
): void {
  metrics.registerAsyncGauges((signal) => containerResourceFamilies(deps, signal));
}
