import type { Hono } from 'hono';
import { errorMessage } from '../../src/core/errors.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';

/** GET /healthz (no auth: for Docker and uptime checks) and GET /api/version. */
export function registerHealth(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/healthz', (c) => {
    try {
      deps.store.getState('healthz');
      // Listening while reconcile runs is healthy: deploys are accepted and wait for it.
      const startup = deps.startup?.() ?? 'ready';
      if (startup === 'ready') return c.json({ status: 'ok', store: 'ok' });
      if (startup === 'reconciling') return c.json({ status: 'reconciling', store: 'ok' });
      return c.json({ status: 'degraded', store: 'ok', reconcile: 'failed' }, 503);
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
