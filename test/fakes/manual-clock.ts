import type { Clock } from '../../src/core/clock.js';

interface Timer {
  at: number;
  resolve: () => void;
}

/**
 * A clock whose sleeps wait until the test moves time past them with `advance`, for loops that
 * sleep between rounds (a FakeClock would let them spin at full speed).
 */
export class ManualClock implements Clock {
  /** Every sleep asked for, in ms, in call order. */
  readonly slept: number[] = [];
  #now: number;
  #timers: Timer[] = [];

  constructor(start = new Date('2025-01-01T00:00:00.000Z')) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Sleeps not yet over. */
  get sleeping(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.slept.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer: Timer = { at: this.#now + ms, resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  }

  /** Moves time on and wakes every sleep that is over. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#now);
    this.#timers = this.#timers.filter((t) => t.at > this.#now);
    for (const timer of due) timer.resolve();
  }
}
