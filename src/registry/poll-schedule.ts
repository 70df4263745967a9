/** Backoff stops growing at this many intervals. */
export const MAX_BACKOFF_FACTOR = 10;
const JITTER = 0.1;

/**
 * The pause before a project's next poll: the interval, doubled per consecutive failure up to
 * ten intervals, spread by +-10% so projects and instances do not poll in lockstep.
 * `random` returns [0, 1).
 */
export function nextPollDelayMs(
  intervalMs: number,
  consecutiveFailures: number,
  random: () => number,
): number {
  const factor = Math.min(2 ** Math.max(consecutiveFailures, 0), MAX_BACKOFF_FACTOR);
  const jitter = 1 + (random() * 2 - 1) * JITTER;
  return Math.round(intervalMs * factor * jitter);
}
