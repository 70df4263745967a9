import type { Hono } from 'hono';
import { NotFoundError } from '../../src/core/errors.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { configuredStage, requireOps } from '../routes/stage-ops.js';
import { DASHBOARD_ACTOR, runAction } from './action-routes.js';
import { pageView, sendPage } from './page-response.js';
import { withSession } from './page-routes.js';
import { loadStageLog, loadStageUsage } from './stage-ops-data.js';
import { StagePage } from './stage-page.js';
import { stageView } from './stage-view.js';

/** Deploys the stage page lists (the project page shows more on request). */
const STAGE_HISTORY = 20;

/**
 * GET /projects/:project/stages/:stage (log, resource use, teardown) and the two teardown
 * actions: of a stage in the config, and of an orphan (a stage the config no longer lists).
 */
export function registerStageRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get(
    '/projects/:project/stages/:stage',
    withSession(deps, async (c, session) => {
      const { project, stage } = configuredStage(c, deps);
      const [usage, log] = await Promise.all([
        loadStageUsage(deps, project, stage),
        loadStageLog(deps, project, stage),
      ]);
      const view = { ...pageView(c, deps, session), live: 'regions' as const };
      const stageState = stageView(deps.loaded.config, deps.store, project, stage, deps.certificateOf);
      const history = deps.store.listDeploys({ project, stage, limit: STAGE_HISTORY });
      return sendPage(
        c,
        <StagePage stage={stageState} usage={usage} log={log} history={history} view={view} />,
      );
    }),
  );

  app.post('/dashboard-actions/projects/:project/stages/:stage/teardown', (c) =>
    runAction(c, deps, () => {
      const { project, stage } = configuredStage(c, deps);
      return deps.deployer.teardown(project, stage, DASHBOARD_ACTOR);
    }),
  );

  app.post('/dashboard-actions/orphans/:project/:stage/teardown', (c) =>
    runAction(c, deps, async () => {
      const { project, stage } = c.req.param();
      const orphans = await requireOps(deps).orphans(c.req.raw.signal);
      if (!orphans.some((orphan) => orphan.project === project && orphan.stage === stage)) {
        throw new NotFoundError(
          `${project}/${stage} has no orphaned containers: a stage in the config is torn down from its own page`,
        );
      }
      return deps.deployer.teardown(project, stage, DASHBOARD_ACTOR);
    }),
  );
}
