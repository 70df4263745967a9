import { Hono } from 'hono';
import { registerDashboard } from './dashboard/register-dashboard.js';
import { createForgeClients, forgeFor, type ForgeClients } from '../src/forge/forge-for.js';
import { resolveRequestSecrets } from '../src/config/request-secrets.js';
import { trustedProxies } from '../src/net/client-address.js';
import type { AppDeps, AppEnv, AppOptions } from './http/app-env.js';
import { createLoginThrottle } from './http/login-throttle.js';
import { requestClient } from './http/request-client.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { createRequestLog, requestLog } from './http/request-log.js';
import { registerChanges } from './routes/changes.js';
import { registerDeployEvents } from './routes/deploy-events.js';
import { registerDeployRequests } from './routes/deploy-requests.js';
import { registerDeploys } from './routes/deploys.js';
import { registerHealth } from './routes/health.js';
import { registerImageTags } from './routes/image-tags.js';
import { registerMetrics } from './routes/metrics.js';
import { registerProjects } from './routes/projects.js';
import { registerStageLogs } from './routes/stage-logs.js';
import { registerStageOps } from './routes/stage-ops.js';
import { registerWebhooks } from './routes/webhooks.js';

export type { AppDeps, AppEnv, AppOptions } from './http/app-env.js';

/**
 * The HTTP app: signed deploy requests from CI, the read and manual-action API, health and
 * version. Every dependency is passed in; nothing listens here (the composition root serves it,
 * tests call `app.request()`).
 */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const trusted = trustedProxies(options.loaded.config.global.trusted_proxies);
  const deps: AppDeps = {
    ...options,
    throttle: options.throttle ?? createLoginThrottle(),
    clientOf: options.clientOf ?? ((c) => requestClient(c, trusted)),
    forgeFor: options.forgeFor ?? forgeLookup(createForgeClients(options.loaded, { logger: options.logger })),
    secrets: options.secrets ?? resolveRequestSecrets(options.loaded),
  };
  const app = new Hono<AppEnv>();
  const now = () => deps.clock.now();
  app.use('*', requestLog(options.requestLog ?? createRequestLog(deps.logger, now), now));
  registerHealth(app, deps);
  registerDeployRequests(app, deps);
  registerDeployEvents(app, deps);
  registerChanges(app, deps);
  registerDeploys(app, deps);
  registerProjects(app, deps);
  registerImageTags(app, deps);
  registerStageLogs(app, deps);
  registerStageOps(app, deps);
  registerDashboard(app, deps);
  registerMetrics(app, deps);
  registerWebhooks(app, deps);
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);
  return app;
}

/** A project's forge client among a set built once (comment commands have no request source). */
function forgeLookup(known: ForgeClients): AppDeps['forgeFor'] {
  return (project) => forgeFor(known, project);
}
