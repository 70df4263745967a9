/** What the router tells the hold about a domain. */
export interface HoldPolicy {
  /** Whether a request for this domain should wait: it has no route yet, but one is coming. */
  shouldWait(domain: string): boolean;
}

interface Held {
  domain: string;
  timer: NodeJS.Timeout;
  release(): void;
}

/**
 * Requests for a configured stage that has no route yet, held for a bounded time while one is
 * coming (the app is starting, or the stage's very first deploy runs), instead of failed at
 * once. Bounded twice: each waits at most `holdMs`, and at most `maxHeld` wait at a time (the
 * next ones are answered at once); a held request costs a timer and an entry, dropped as soon
 * as it is released, timed out or its client went away.
 */
export class RequestHold {
  readonly #held = new Set<Held>();
  readonly #holdMs: number;
  readonly #maxHeld: number;
  readonly #policy: HoldPolicy;

  constructor(options: { holdMs: number; maxHeld: number; policy: HoldPolicy }) {
    this.#holdMs = options.holdMs;
    this.#maxHeld = options.maxHeld;
    this.#policy = options.policy;
  }

  /** How many requests wait now. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Calls `next` at once when the request need not (or cannot) wait; otherwise once the domain
   * is routed or no longer waited for (recheck), or after the hold time. `gone` is called by
   * the caller when the client went away: the entry is dropped and `next` is never called.
   */
  hold(domain: string, next: () => void): { gone: () => void } {
    const none = { gone: () => {} };
    if (this.#holdMs <= 0 || this.#held.size >= this.#maxHeld || !this.#policy.shouldWait(domain)) {
      next();
      return none;
    }
    const entry: Held = {
      domain,
      timer: setTimeout(() => entry.release(), this.#holdMs),
      release: () => {
        if (!this.#drop(entry)) return;
        next();
      },
    };
    this.#held.add(entry);
    return { gone: () => void this.#drop(entry) };
  }

  /** Releases the requests that no longer wait (their route came, or none is coming); all of them with no domain. */
  recheck(domain?: string): void {
    for (const entry of [...this.#held]) {
      if (domain !== undefined && entry.domain !== domain) continue;
      if (!this.#policy.shouldWait(entry.domain)) entry.release();
    }
  }

  /** Releases every held request now (the router closes). */
  releaseAll(): void {
    for (const entry of [...this.#held]) entry.release();
  }

  #drop(entry: Held): boolean {
    if (!this.#held.delete(entry)) return false;
    clearTimeout(entry.timer);
    return true;
  }
}
