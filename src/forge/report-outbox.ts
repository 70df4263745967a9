import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { OutboxEntry, Store } from '../store/store.js';

export interface ReportOutboxOptions<Job> {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Sends one report; must give up when `signal` aborts (shutdown). */
  send(job: Job, signal: AbortSignal): Promise<void>;
  /** Names a report in logs (repository, commit, context; no secrets). */
  describe(job: Job): string;
  /** First wait after a failure (default 2 s); doubled on each failure up to `maxDelayMs`. */
  firstDelayMs?: number;
  /** Longest wait between tries (default 5 min). */
  maxDelayMs?: number;
  /** Tries of a request the forge refuses as wrong (400, 404, 410, 422) before it is dropped (default 5). */
  permanentFailureTries?: number;
}

const PERMANENT = new Set([400, 404, 410, 422]);

/**
 * Forge reports that survive a restart. `put` writes a report to the store before anything is
 * sent; a report put while an older one of the same key waits replaces it (only the latest
 * state is sent). Each key is sent by one loop at a time, so reports of a key go out in order;
 * failures are tried again with backoff, the schedule kept in the store. `start` resumes what
 * a previous run left. `stop` lets sending go on for a grace period, then aborts every request
 * and wait: what is left stays in the store for the next start.
 */
export class ReportOutbox<Job> {
  readonly #draining = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  /** Per key waiting for a retry: aborting it ends the wait (a newer report was put). */
  readonly #wakers = new Map<string, AbortController>();
  #idle: (() => void)[] = [];
  #started = false;

  constructor(private readonly options: ReportOutboxOptions<Job>) {}

  /** Stores the report of `key` (replacing a waiting one) and sends it once started. */
  put(key: string, job: Job): void {
    this.options.store.putReport(key, JSON.stringify(job), this.#now());
    this.#wakers.get(key)?.abort();
    this.#kick(key);
  }

  /** Sends what is in the store (left by a previous run) and, from now on, what is put. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const waiting = this.options.store.listReports();
    if (waiting.length > 0) this.options.logger.info('resuming forge reports', { waiting: waiting.length });
    for (const entry of waiting) this.#kick(entry.key);
  }

  /** Resolves once nothing is being sent or waiting for a retry. */
  flush(): Promise<void> {
    if (this.#draining.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Shutdown: sending goes on for up to `graceMs`, then every request and retry wait is aborted
   * and nothing more is sent. Resolves once every send loop has ended; reports not sent stay in
   * the store.
   */
  async stop(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise((done) => (timer = setTimeout(done, graceMs)))]);
    clearTimeout(timer);
    this.#abort.abort(new Error('docker-watcher is shutting down; the report is sent after the restart'));
    await Promise.all(this.#draining.values());
  }

  #now(): string {
    return this.options.clock.now().toISOString();
  }

  #kick(key: string): void {
    if (!this.#started || this.#abort.signal.aborted || this.#draining.has(key)) return;
    const loop = this.#drain(key).finally(() => {
      this.#draining.delete(key);
      if (this.#draining.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
    this.#draining.set(key, loop);
  }

  async #drain(key: string): Promise<void> {
    const { store, clock } = this.options;
    const signal = this.#abort.signal;
    for (let entry = store.getReport(key); entry && !signal.aborted; entry = store.getReport(key)) {
      const wait = Date.parse(entry.nextTryAt) - clock.now().getTime();
      if (wait > 0) {
        // A newer report of the key ends the wait: it is sent at once, and replaces this one.
        const waker = new AbortController();
        this.#wakers.set(key, waker);
        await clock.sleep(wait, AbortSignal.any([signal, waker.signal])).catch(() => undefined);
        this.#wakers.delete(key);
        continue;
      }
      await this.#try(entry, signal);
    }
  }

  async #try(entry: OutboxEntry, signal: AbortSignal): Promise<void> {
    const { store, logger } = this.options;
    const job = JSON.parse(entry.job) as Job;
    try {
      await abortable(this.options.send(job, signal), signal);
      store.removeReport(entry.key, entry.version);
    } catch (error) {
      if (signal.aborted) return;
      const failures = entry.attempts + 1;
      const status = (error as { status?: unknown }).status;
      const giveUp =
        typeof status === 'number' &&
        PERMANENT.has(status) &&
        failures >= (this.options.permanentFailureTries ?? 5);
      const report = this.options.describe(job);
      if (giveUp) {
        store.removeReport(entry.key, entry.version);
        logger.error('forge report dropped', { report, tries: failures, error: errorMessage(error) });
        return;
      }
      const first = this.options.firstDelayMs ?? 2000;
      const delay = Math.min(first * 2 ** (failures - 1), this.options.maxDelayMs ?? 300_000);
      const nextTryAt = new Date(this.options.clock.now().getTime() + delay).toISOString();
      store.reportFailed(entry.key, entry.version, errorMessage(error), nextTryAt);
      logger.warn('forge report failed; will retry', {
        report,
        error: errorMessage(error),
        retryInMs: delay,
      });
    }
  }
}

/**
 * The send, or its abort: a client that retries inside (Octokit) may take its time to notice
 * the signal, but its retries carry the aborted signal, so nothing more reaches the forge.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
