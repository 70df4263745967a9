import type { Hono } from 'hono';
import { errorMessage } from '../../src/core/errors.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';

/** GET /healthz (no auth: for Docker and uptime checks) and GET /api/version. */
export function registerHealth(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/healthz', (c) => {
    try {
      deps.store.getState('healthz');
      return c.json({ status: 'ok', store: 'ok' });
    } catch (error) {
      deps.logger.error('health check: store failed', { error: errorMessage(error) });
      return c.json({ status: 'degraded', store: 'failing' }, 503);
    }
  });

  app.get('/api/version', (c) => {
    authorize(c, deps, { action: 'read-all' });
    return c.json(deps.version ?? { version: 'unknown' });
  });
}
