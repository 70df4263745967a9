import type { Hono } from 'hono';
import { METRICS_CONTENT_TYPE } from '../../src/metrics/metrics.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';

/**
 * GET /metrics in the Prometheus text format. Needs the API token as a bearer (Prometheus'
 * `authorization` scrape option) unless global.metrics_public is true. Not mounted without metrics.
 */
export function registerMetrics(app: Hono<AppEnv>, deps: AppDeps): void {
  const metrics = deps.metrics;
  if (!metrics) return;
  app.get('/metrics', async (c) => {
    if (!deps.loaded.config.global.metrics_public) authorize(c, deps, { action: 'read-all' });
    const text = metrics.scrape ? await metrics.scrape() : metrics.render();
    return c.body(text, 200, {
      'Content-Type': METRICS_CONTENT_TYPE,
      'Cache-Control': 'no-store',
    });
  });
}
