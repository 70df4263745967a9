import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../src/log/logger.js';
import type { AppEnv } from './app-env.js';

/**
 * One JSON line per request with the deploy id, project and stage when a route set them.
 * Headers are never logged (signatures, tokens), and neither is the query string.
 */
export function requestLog(logger: Logger, now: () => Date): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now().getTime();
    c.set('logFields', {});
    await next();
    logger.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: now().getTime() - started,
      ...c.get('logFields'),
    });
  };
}
