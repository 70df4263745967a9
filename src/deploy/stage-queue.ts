/** One unit of work in a stage queue: a deploy, run with a signal that aborts it. */
export interface StageJob {
  id: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface StageQueueOptions {
  /** A queued job was replaced by a newer one for the same stage before it started. */
  onSuperseded(jobId: string, supersededBy: string): void;
  /** A job's run rejected (runs are expected to record their own failures). */
  onError?(jobId: string, error: unknown): void;
}

interface Lane {
  running?: { job: StageJob; controller: AbortController };
  waiting?: StageJob;
}

/**
 * One deploy at a time per stage; stages run in parallel. A stage holds at most one waiting job:
 * a newer request supersedes the waiting one, because deploying a version that is already out of
 * date only to replace it at once would be two swaps for nothing.
 */
export class StageQueue {
  readonly #lanes = new Map<string, Lane>();
  readonly #options: StageQueueOptions;
  #idleWaiters: (() => void)[] = [];

  constructor(options: StageQueueOptions) {
    this.#options = options;
  }

  /** Runs the job now when its stage is free, else queues it behind the running one. */
  enqueue(stageKey: string, job: StageJob): void {
    const lane = this.#lanes.get(stageKey) ?? {};
    this.#lanes.set(stageKey, lane);
    if (!lane.running) return this.#start(stageKey, lane, job);
    const superseded = lane.waiting;
    lane.waiting = job;
    if (superseded) this.#options.onSuperseded(superseded.id, job.id);
  }

  /** Ids of running jobs. */
  running(): string[] {
    return [...this.#lanes.values()].flatMap((lane) => (lane.running ? [lane.running.job.id] : []));
  }

  /** Ids of queued jobs, which are dropped (they will not run). */
  dropQueued(): string[] {
    const dropped: string[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.waiting) dropped.push(lane.waiting.id);
      delete lane.waiting;
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

  #isIdle(): boolean {
    return [...this.#lanes.values()].every((lane) => !lane.running && !lane.waiting);
  }

  #start(stageKey: string, lane: Lane, job: StageJob): void {
    const controller = new AbortController();
    lane.running = { job, controller };
    void (async () => {
      try {
        // Start after the caller's current turn, so that it can subscribe to the job's events first.
        await Promise.resolve();
        await job.run(controller.signal);
      } catch (error) {
        this.#options.onError?.(job.id, error);
      }
      this.#next(stageKey, lane);
    })();
  }

  #next(stageKey: string, lane: Lane): void {
    delete lane.running;
    const next = lane.waiting;
    delete lane.waiting;
    if (next) return this.#start(stageKey, lane, next);
    this.#lanes.delete(stageKey);
    if (this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
