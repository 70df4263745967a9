import type { MiddlewareHandler } from 'hono';
import type { LogFields, Logger } from '../../src/log/logger.js';
import type { AppEnv } from './app-env.js';

/** Answers that refuse an unauthenticated or malformed request: a flood is made of these. */
const REFUSED = new Set([401, 413, 415, 429]);
/** How long one summary line of refused requests covers. */
export const REFUSAL_WINDOW_MS = 10_000;
/** Distinct paths a summary counts one by one; the rest are counted together. */
const MAX_SUMMARY_PATHS = 10;

export interface RequestLogOptions {
  /** Length of a refusal summary's window; default REFUSAL_WINDOW_MS. */
  refusalWindowMs?: number;
}

/** One answered request, as the log gets it. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** The deploy id, project and stage, when the route set them. */
  fields?: LogFields;
}

/** The request log: one owner of the refusal burst, shared by the Hono app and the signature gate. */
export interface RequestLog {
  record(request: LoggedRequest): void;
}

/**
 * One JSON line per request with the deploy id, project and stage when a route set them.
 * Refused requests (401, 413, 415, 429) come in bursts when someone floods the app: the first
 * of a burst gets its own line, the others are counted and logged as one "requests refused"
 * line per window (count, statuses, paths), so a flood cannot fill the disk or slow the app
 * with log writes. Headers are never logged (signatures, tokens), and neither is the query string.
 */
export function createRequestLog(
  logger: Logger,
  now: () => Date,
  options: RequestLogOptions = {},
): RequestLog {
  const windowMs = options.refusalWindowMs ?? REFUSAL_WINDOW_MS;
  let burst:
    { since: string; count: number; statuses: Map<number, number>; paths: Map<string, number> } | undefined;

  const closeWindow = () => {
    if (!burst) return;
    if (burst.count === 0) {
      burst = undefined;
      return;
    }
    logger.warn('requests refused', {
      count: burst.count,
      since: burst.since,
      statuses: Object.fromEntries(burst.statuses),
      paths: Object.fromEntries(burst.paths),
    });
    // The burst may go on: the next window counts from here, and a quiet one ends it.
    burst = { since: now().toISOString(), count: 0, statuses: new Map(), paths: new Map() };
    setTimeout(closeWindow, windowMs).unref();
  };

  const countRefusal = (status: number, path: string) => {
    if (!burst) return false;
    burst.count++;
    burst.statuses.set(status, (burst.statuses.get(status) ?? 0) + 1);
    const key = burst.paths.has(path) || burst.paths.size < MAX_SUMMARY_PATHS ? path : '(other paths)';
    burst.paths.set(key, (burst.paths.get(key) ?? 0) + 1);
    return true;
  };

  return {
    record({ method, path, status, durationMs, fields }) {
      if (REFUSED.has(status)) {
        if (countRefusal(status, path)) return;
        burst = { since: now().toISOString(), count: 0, statuses: new Map(), paths: new Map() };
        setTimeout(closeWindow, windowMs).unref();
      }
      logger.info('request', { method, path, status, durationMs, ...fields });
    },
  };
}

/** The Hono middleware that gives every request of the app to `log`. */
export function requestLog(log: RequestLog, now: () => Date): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now().getTime();
    c.set('logFields', {});
    await next();
    log.record({
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: now().getTime() - started,
      fields: c.get('logFields'),
    });
  };
}
