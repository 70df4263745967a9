import { Hono } from 'hono';
import { registerDashboard } from './dashboard/register-dashboard.js';
import type { AppDeps, AppEnv } from './http/app-env.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { requestLog } from './http/request-log.js';
import { registerDeployEvents } from './routes/deploy-events.js';
import { registerDeployRequests } from './routes/deploy-requests.js';
import { registerDeploys } from './routes/deploys.js';
import { registerHealth } from './routes/health.js';
import { registerMetrics } from './routes/metrics.js';
import { registerProjects } from './routes/projects.js';
import { registerStageLogs } from './routes/stage-logs.js';
import { registerStageOps } from './routes/stage-ops.js';
import { registerWebhooks } from './routes/webhooks.js';

export type { AppDeps, AppEnv } from './http/app-env.js';

/**
 * The HTTP app: signed deploy requests from CI, the read and manual-action API, health and
 * version. Every dependency is passed in; nothing listens here (the composition root serves it,
 * tests call `app.request()`).
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(
    '*',
    requestLog(deps.logger, () => deps.clock.now()),
  );
  registerHealth(app, deps);
  registerDeployRequests(app, deps);
  registerDeployEvents(app, deps);
  registerDeploys(app, deps);
  registerProjects(app, deps);
  registerStageLogs(app, deps);
  registerStageOps(app, deps);
  registerDashboard(app, deps);
  registerMetrics(app, deps);
  registerWebhooks(app, deps);
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);
  return app;
}
