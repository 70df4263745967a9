/** Failed-login bookkeeping per client address, against guessing the token. */
export interface LoginThrottle {
  /** Milliseconds `client` must still wait before trying again; 0 when it may try now. */
  retryAfterMs(client: string, now: Date): number;
  /** Counts a wrong token from `client`. */
  failed(client: string, now: Date): void;
  /** Forgets the failures of `client` after a good login. */
  succeeded(client: string): void;
}

export interface LoginThrottleOptions {
  /** Wrong tokens allowed per window before the address is locked out; default 5. */
  maxFailures?: number;
  /** Length of the window and of the lock-out; default 15 minutes. */
  windowMs?: number;
  /** Addresses tracked at most; the oldest are forgotten first; default 10 000. */
  maxClients?: number;
}

/** An in-memory fixed-window throttle: N failures per window, then locked until it ends. */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const failures = new Map<string, { count: number; since: number }>();

  const current = (client: string, now: Date) => {
    const entry = failures.get(client);
    if (entry && now.getTime() - entry.since >= windowMs) {
      failures.delete(client);
      return undefined;
    }
    return entry;
  };

  return {
    retryAfterMs(client, now) {
      const entry = current(client, now);
      if (!entry || entry.count < maxFailures) return 0;
      return entry.since + windowMs - now.getTime();
    },
    failed(client, now) {
      const entry = current(client, now);
      if (entry) {
        entry.count += 1;
        return;
      }
      if (failures.size >= maxClients) failures.delete(failures.keys().next().value!);
      failures.set(client, { count: 1, since: now.getTime() });
    },
    succeeded(client) {
      failures.delete(client);
    },
  };
}
