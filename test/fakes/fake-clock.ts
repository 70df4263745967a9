import type { Clock } from '../../src/core/clock.js';

/**
 * A clock for tests: time only moves when someone sleeps (or `advance` is called), and a sleep
 * returns on the next macrotask instead of waiting. Code that waits as part of its logic (drain,
 * deadlines) runs at full speed while its timing stays observable through `slept` and `now()`.
 */
export class FakeClock implements Clock {
  /** Every sleep asked for, in ms, in call order. */
  readonly slept: number[] = [];
  #now: number;
  #failures: Error[] = [];

  constructor(start = new Date('2025-01-01T00:00:00.000Z')) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  /** The next sleep rejects with `error` (to test code that must survive a failed wait). */
  failNextSleep(error: Error): void {
    this.#failures.push(error);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.slept.push(ms);
    const failure = this.#failures.shift();
    return new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      if (signal?.aborted) return reject(signal.reason as Error);
      setImmediate(() => {
        if (signal?.aborted) return reject(signal.reason as Error);
        this.#now += ms;
        resolve();
      });
    });
  }
}
