import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';

/** One piece of reporting work; `what` names it in logs (repository, commit, context; no secrets). */
export interface ReportJob {
  what: string;
  /** `signal` aborts at shutdown: pass it to the forge calls. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ReportQueueOptions {
  clock: Clock;
  logger: Logger;
  /** First wait after a failure (default 2 s); doubled on each failure up to `maxDelayMs`. */
  firstDelayMs?: number;
  /** Longest wait between tries (default 5 min). */
  maxDelayMs?: number;
  /** Tries of a request the forge refuses as wrong (400, 404, 410, 422) before it is dropped (default 5). */
  permanentFailureTries?: number;
}

const PERMANENT = new Set([400, 404, 410, 422]);

/**
 * Work per key where only the latest job matters: a job put while an older one of the same key
 * waits replaces it. Failed jobs are tried again with backoff until they go through (so reports
 * catch up after a forge outage), unless a newer job of the key has arrived meanwhile.
 */
export class ReportQueue {
  readonly #pending = new Map<string, ReportJob>();
  readonly #draining = new Set<string>();
  readonly #closing = new AbortController();
  #idle: (() => void)[] = [];

  constructor(private readonly options: ReportQueueOptions) {}

  put(key: string, job: ReportJob): void {
    if (this.#closing.signal.aborted) return;
    this.#pending.set(key, job);
    if (!this.#draining.has(key)) void this.#drain(key);
  }

  /** Stops taking and retrying work (shutdown): waits end at once, pending jobs are dropped (logged). */
  close(): void {
    this.#closing.abort(new Error('docker-watcher is shutting down'));
  }

  /** Resolves once no work is pending or being retried. */
  flush(): Promise<void> {
    if (this.#draining.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(key: string): Promise<void> {
    this.#draining.add(key);
    const first = this.options.firstDelayMs ?? 2000;
    const max = this.options.maxDelayMs ?? 300_000;
    let delay = first;
    let failures = 0;
    const { signal } = this.#closing;
    let job: ReportJob | undefined;
    for (job = this.#pending.get(key); job && !signal.aborted; job = this.#pending.get(key)) {
      this.#pending.delete(key);
      try {
        await job.run(signal);
        delay = first;
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        const status = (error as { status?: unknown }).status;
        const giveUp =
          typeof status === 'number' &&
          PERMANENT.has(status) &&
          failures >= (this.options.permanentFailureTries ?? 5);
        this.options.logger[giveUp ? 'error' : 'warn'](
          giveUp ? 'forge report dropped' : 'forge report failed; will retry',
          {
            report: job.what,
            error: errorMessage(error),
            ...(giveUp ? {} : { retryInMs: delay }),
          },
        );
        if (giveUp) {
          failures = 0;
          continue;
        }
        if (!this.#pending.has(key)) this.#pending.set(key, job);
        await this.options.clock.sleep(delay, signal).catch(() => undefined);
        delay = Math.min(delay * 2, max);
      }
    }
    if (signal.aborted) {
      const dropped = this.#pending.get(key) ?? job;
      this.#pending.delete(key);
      if (dropped) this.options.logger.warn('forge report dropped at shutdown', { report: dropped.what });
    }
    this.#draining.delete(key);
    if (this.#draining.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
