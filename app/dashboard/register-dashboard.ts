import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { registerActions } from './action-routes.js';
import { dashboardErrorHandler } from './dashboard-errors.js';
import { registerLogin } from './login-routes.js';
import { registerPages } from './page-routes.js';
import { registerStageRoutes } from './stage-routes.js';

export interface DashboardOptions {
  /** Pause before answering a wrong token; default 1 s (through the injected clock). */
  failureDelayMs?: number;
}

/**
 * The dashboard: server-rendered pages behind a login with the API token, and form actions
 * that go through the same deployer as the API. Errors on its routes are shown as pages.
 */
export function registerDashboard(app: Hono<AppEnv>, deps: AppDeps, options: DashboardOptions = {}): void {
  const dashboard = new Hono<AppEnv>();
  registerLogin(dashboard, deps, {
    ...(options.failureDelayMs === undefined ? {} : { failureDelayMs: options.failureDelayMs }),
  });
  registerPages(dashboard, deps);
  registerActions(dashboard, deps);
  registerStageRoutes(dashboard, deps);
  dashboard.onError(dashboardErrorHandler(deps));
  app.route('/', dashboard);
}
