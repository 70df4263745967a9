import type { Hono } from 'hono';
import { errorMessage } from '../../src/core/errors.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';

/** What GET /healthz answers: the store is read, and start-up reported. */
export interface HealthAnswer {
  status: 200 | 503;
  body: Record<string, string>;
}

/** The one owner of /healthz's answer: the Hono route and the node:http front (app/http/node-listener.ts) give it. */
export function healthAnswer(deps: Pick<AppDeps, 'store' | 'startup' | 'logger'>): HealthAnswer {
  try {
    deps.store.getState('healthz');
    // Listening while reconcile runs is healthy: deploys are accepted and wait for it.
    const startup = deps.startup?.() ?? 'ready';
    if (startup === 'ready') return { status: 200, body: { status: 'ok', store: 'ok' } };
    if (startup === 'reconciling') return { status: 200, body: { status: 'reconciling', store: 'ok' } };
    return { status: 503, body: { status: 'degraded', store: 'ok', reconcile: 'failed' } };
  } catch (error) {
    deps.logger.error('health check: store failed', { error: errorMessage(error) });
    return { status: 503, body: { status: 'degraded', store: 'failing' } };
  }
}

/** GET /healthz (no auth: for Docker and uptime checks) and GET /api/version. */
export function registerHealth(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/healthz', (c) => {
    const { status, body } = healthAnswer(deps);
    return c.json(body, status);
  });

  app.get('/api/version', (c) => {
    authorize(c, deps, { action: 'read-all' });
    return c.json(deps.version ?? { version: 'unknown' });
  });
}
