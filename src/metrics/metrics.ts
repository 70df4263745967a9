import { FINAL_STATUSES, type DeployRecord } from '../core/deploy-types.js';
import type { DeployObserver } from '../deploy/deploy-observer.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import {
  Counter,
  gaugeCollector,
  Histogram,
  renderFamilies,
  type Collector,
  type MetricFamily,
  type Sample,
} from './exposition.js';

const LATE_GRACE_MS = 250;

/** Content-Type of GET /metrics. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Upper bounds in seconds, from a quick pull to a slow health check. */
export const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

/** What a process reports about itself (injected so tests can pin the numbers). */
export interface ProcessStats {
  residentMemoryBytes(): number;
  uptimeSeconds(): number;
  startTimeSeconds: number;
}

const nodeProcess: ProcessStats = {
  residentMemoryBytes: () => process.memoryUsage.rss(),
  uptimeSeconds: () => process.uptime(),
  startTimeSeconds: Math.round(Date.now() / 1000 - process.uptime()),
};

export interface MetricsDeps {
  store: Store;
  logger?: Logger;
  process?: ProcessStats;
  /** How long scrape() waits for async gauges (container stats take about 1 s); default 5 s. */
  asyncTimeoutMs?: number;
}

/** Gauges read asynchronously at scrape time; they must stop when `signal` aborts. */
export type AsyncGaugeSource = (signal: AbortSignal) => Promise<MetricFamily[]>;

/** The app's metrics: fed by deploy events, the store at scrape time and hooks of other parts. */
export interface Metrics extends DeployObserver {
  /** The Prometheus text exposition (format 0.0.4). */
  render(): string;
  /** Counts a failed registry poll of `project` (called by the poller). */
  incPollerError(project: string): void;
  /** Adds a gauge read at every scrape, e.g. the poller's consecutive failures per project. */
  registerGauge(name: string, help: string, read: () => Sample[]): void;
  /** Adds families read asynchronously at every scrape (e.g. container resource use); see scrape(). */
  registerAsyncGauges(source: AsyncGaugeSource): void;
  /**
   * render() plus the async gauges, all read in parallel within asyncTimeoutMs: a source that
   * fails or is late is left out of this scrape (and logged), the rest is still answered.
   */
  scrape(): Promise<string>;
}

const seconds = (from: string | undefined, to: string | undefined): number | undefined => {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
};

/** Creates the metrics; the composition root passes it as a deploy observer and to the app. */
export function createMetrics(deps: MetricsDeps): Metrics {
  const logger = deps.logger ?? silentLogger;
  const proc = deps.process ?? nodeProcess;
  const deploys = new Counter(
    'docker_watcher_deploys_total',
    'Deploys that ended, by final status (succeeded, failed, superseded, interrupted, cancelled)',
    ['project', 'stage', 'status'],
  );
  const phaseSeconds = new Histogram(
    'docker_watcher_deploy_phase_seconds',
    'Time spent in each phase of ended deploys',
    ['phase'],
    DURATION_BUCKETS,
  );
  const deploySeconds = new Histogram(
    'docker_watcher_deploy_duration_seconds',
    'Time from start to end of deploys that ran, by final status',
    ['project', 'stage', 'status'],
    DURATION_BUCKETS,
  );
  const pollerErrors = new Counter(
    'docker_watcher_poller_errors_total',
    'Failed registry polls, by project',
    ['project'],
  );
  const collectors: Collector[] = [
    deploys,
    phaseSeconds,
    deploySeconds,
    gaugeCollector('docker_watcher_queue_depth', 'Deploys queued or running', () => [
      { value: deps.store.listDeploys({ status: ['queued', 'running'] }).length },
    ]),
    gaugeCollector(
      'docker_watcher_deploys_awaiting_approval',
      'Deploys waiting for a person to approve them',
      () => [{ value: deps.store.listDeploys({ status: ['awaiting_approval'] }).length }],
    ),
    gaugeCollector('docker_watcher_live_info', 'The version each stage serves (always 1)', () =>
      deps.store
        .listLive()
        .map((live) => ({ labels: { project: live.project, stage: live.stage, tag: live.tag }, value: 1 })),
    ),
    pollerErrors,
    gaugeCollector('process_resident_memory_bytes', 'Resident memory size in bytes', () => [
      { value: proc.residentMemoryBytes() },
    ]),
    gaugeCollector(
      'process_start_time_seconds',
      'Start time of the process since the Unix epoch in seconds',
      () => [{ value: proc.startTimeSeconds }],
    ),
    gaugeCollector('docker_watcher_uptime_seconds', 'Seconds since docker-watcher started', () => [
      { value: proc.uptimeSeconds() },
    ]),
  ];

  const asyncSources: AsyncGaugeSource[] = [];
  const asyncTimeoutMs = deps.asyncTimeoutMs ?? 5000;

  const collectSync = (): MetricFamily[] => {
    const families: MetricFamily[] = [];
    for (const collector of collectors) {
      try {
        families.push(collector.collect());
      } catch (error) {
        // One failing source (a hook, a locked store) must not take the whole scrape down.
        logger.warn('a metric could not be collected', { error });
      }
    }
    return families;
  };

  const recordEnd = (record: DeployRecord) => {
    deploys.inc({ project: record.project, stage: record.stage, status: record.status });
    for (const timing of record.phases) {
      const took = seconds(timing.startedAt, timing.finishedAt);
      if (took !== undefined) phaseSeconds.observe({ phase: timing.phase }, took);
    }
    const took = seconds(record.startedAt, record.finishedAt);
    if (took !== undefined) {
      deploySeconds.observe({ project: record.project, stage: record.stage, status: record.status }, took);
    }
  };

  return {
    onDeployEvent(event, record) {
      if (event.type !== 'status' || event.status === undefined || !FINAL_STATUSES.includes(event.status))
        return;
      try {
        recordEnd(record);
      } catch (error) {
        logger.warn('metrics could not record a deploy', { deployId: record.id, error });
      }
    },
    render: () => renderFamilies(collectSync()),
    async scrape() {
      const sync = collectSync();
      const signal = AbortSignal.timeout(asyncTimeoutMs);
      let timer: NodeJS.Timeout | undefined;
      // A source answers with what it has when the signal aborts; one that ignores the signal is
      // cut off a moment later, so it cannot hold the scrape.
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${asyncTimeoutMs} ms`)),
          asyncTimeoutMs + LATE_GRACE_MS,
        );
      });
      const results = await Promise.allSettled(
        asyncSources.map((source) => Promise.race([source(signal), late])),
      );
      clearTimeout(timer);
      const families = [...sync];
      for (const result of results) {
        if (result.status === 'fulfilled') families.push(...result.value);
        else logger.warn('async metrics could not be collected', { error: result.reason });
      }
      return renderFamilies(families);
    },
    incPollerError(project) {
      pollerErrors.inc({ project });
    },
    registerGauge(name, help, read) {
      if (collectors.some((collector) => collector.name === name)) {
        throw new Error(`metric ${name} is registered twice; give the gauge another name`);
      }
      collectors.push(gaugeCollector(name, help, read));
    },
    registerAsyncGauges(source) {
      asyncSources.push(source);
    },
  };
}
