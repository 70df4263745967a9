/** One unit of work in a stage queue: a deploy, run with a signal that aborts it. */
export interface StageJob {
  id: string;
  run(signal: AbortSignal): Promise<void>;
  /** This job was replaced by a newer one for the same stage before it started. */
  superseded?(supersededBy: string): void;
}

export interface StageQueueOptions {
  /** A queued job without its own `superseded` was replaced before it started. */
  onSuperseded?(jobId: string, supersededBy: string): void;
  /** A job's run rejected (runs are expected to record their own failures). */
  onError?(jobId: string, error: unknown): void;
}

interface Waiting {
  job: StageJob;
  /** A chore (route repair): never superseded, merged with a waiting chore of the same id. */
  chore?: { done: Promise<unknown>; drop(): void };
}

interface Lane {
  running?: { job: StageJob; controller: AbortController };
  waiting: Waiting[];
}

/**
 * The one writer of each stage: every change of a stage's containers or route (deploy,
 * rollback, teardown, the route keeper's repair) runs as a job of the stage's lane, one at a
 * time; stages run in parallel. A lane holds at most one waiting deploy: a newer request
 * supersedes it, because deploying a version that is already out of date only to replace it at
 * once would be two swaps for nothing. Chores wait their turn in order beside it.
 */
export class StageQueue {
  readonly #lanes = new Map<string, Lane>();
  readonly #options: StageQueueOptions;
  #idleWaiters: (() => void)[] = [];
  #ready: Promise<unknown> = Promise.resolve();

  constructor(options: StageQueueOptions = {}) {
    this.#options = options;
  }

  /**
   * No job starts before `until` settles (jobs queue meanwhile): the start-up reconcile repairs
   * every stage first, as if it held every lane.
   */
  holdUntil(until: Promise<unknown>): void {
    const before = this.#ready;
    this.#ready = Promise.all([before, until.catch(() => undefined)]);
  }

  /** Runs the job now when its stage is free, else queues it behind the running one. */
  enqueue(stageKey: string, job: StageJob): void {
    const lane = this.#lane(stageKey);
    if (!lane.running) return this.#start(stageKey, lane, job);
    const index = lane.waiting.findIndex((waiting) => !waiting.chore);
    const superseded = index === -1 ? undefined : lane.waiting.splice(index, 1)[0]!.job;
    lane.waiting.push({ job });
    if (!superseded) return;
    if (superseded.superseded) superseded.superseded(job.id);
    else this.#options.onSuperseded?.(superseded.id, job.id);
  }

  /**
   * Runs `work` as a chore of the stage, in its turn; resolves with its result, or undefined
   * when the chore was dropped (shutdown). A chore of the same id already waiting is not queued
   * twice: the caller shares its turn.
   */
  exclusive<T>(
    stageKey: string,
    id: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> {
    const lane = this.#lane(stageKey);
    const same = lane.waiting.find((waiting) => waiting.chore && waiting.job.id === id);
    if (same) return same.chore!.done as Promise<T | undefined>;
    let resolve!: (value: T | undefined) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<T | undefined>((res, rej) => ((resolve = res), (reject = rej)));
    const job: StageJob = { id, run: (signal) => work(signal).then(resolve, reject) };
    if (!lane.running) this.#start(stageKey, lane, job);
    else lane.waiting.push({ job, chore: { done, drop: () => resolve(undefined) } });
    return done;
  }

  /** Ids of running jobs. */
  running(): string[] {
    return [...this.#lanes.values()].flatMap((lane) => (lane.running ? [lane.running.job.id] : []));
  }

  /** Ids of queued deploys, which are dropped (they will not run); waiting chores are dropped too. */
  dropQueued(): string[] {
    const dropped: string[] = [];
    for (const lane of this.#lanes.values()) {
      for (const waiting of lane.waiting.splice(0)) {
        if (waiting.chore) waiting.chore.drop();
        else dropped.push(waiting.job.id);
      }
    }
    return dropped;
  }

  /** Aborts every running job (each one decides how to wind down). */
  abortRunning(reason: Error): void {
    for (const lane of this.#lanes.values()) lane.running?.controller.abort(reason);
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #lane(stageKey: string): Lane {
    const lane = this.#lanes.get(stageKey) ?? { waiting: [] };
    this.#lanes.set(stageKey, lane);
    return lane;
  }

  #isIdle(): boolean {
    return [...this.#lanes.values()].every((lane) => !lane.running && lane.waiting.length === 0);
  }

  #start(stageKey: string, lane: Lane, job: StageJob): void {
    const controller = new AbortController();
    lane.running = { job, controller };
    const ready = this.#ready;
    void (async () => {
      try {
        // Start after the caller's current turn, so that it can subscribe to the job's events first.
        await ready;
        await job.run(controller.signal);
      } catch (error) {
        this.#options.onError?.(job.id, error);
      }
      this.#next(stageKey, lane);
    })();
  }

  #next(stageKey: string, lane: Lane): void {
    delete lane.running;
    const next = lane.waiting.shift();
    if (next) return this.#start(stageKey, lane, next.job);
    this.#lanes.delete(stageKey);
    if (this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
