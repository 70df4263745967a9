import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { findStage, hasStage } from '../../src/config/config-lookup.js';
import { NotFoundError } from '../../src/core/errors.js';
import type { StageOps } from '../../src/ops/stage-ops.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize, principalName, type Authorized, type AuthScope } from '../http/auth.js';
import { acceptedBody } from '../http/deploy-views.js';

/** The stage ops, or a 503 saying the composition root did not wire them. */
export function requireOps(deps: AppDeps): StageOps {
  if (!deps.ops) {
    throw new HTTPException(503, {
      message: 'stage operations are not available: this app was started without access to Docker',
    });
  }
  return deps.ops;
}

/** Reads :project and :stage and adds them to the request's log line (authorize looks them up). */
export function stageParams(c: Context<AppEnv>): { project: string; stage: string } {
  const { project, stage } = c.req.param() as { project: string; stage: string };
  c.set('logFields', { project, stage });
  return { project, stage };
}

/**
 * authorize() for a stage route, with a hint for a stage gone from the config: its containers
 * are an orphan then, listed by GET /api/orphans.
 */
function authorizeStage(c: Context<AppEnv>, deps: AppDeps, scope: AuthScope): Authorized {
  try {
    return authorize(c, deps, scope);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new NotFoundError(`${error.message}; a removed stage is listed by GET /api/orphans`);
  }
}

/** Reads :project and :stage, which must be in the config (404 naming the known ones otherwise). */
export function configuredStage(c: Context<AppEnv>, deps: AppDeps): { project: string; stage: string } {
  const { project, stage } = stageParams(c);
  findStage(deps.loaded.config, project, stage);
  return { project, stage };
}

/** Resource use, teardown of a stage, and orphaned stages. */
export function registerStageOps(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/projects/:project/stages/:stage/stats', async (c) => {
    const { project, stage } = stageParams(c);
    authorizeStage(c, deps, { action: 'read', project, stage });
    return c.json(await requireOps(deps).stats(project, stage, c.req.raw.signal));
  });

  // Teardown removes what serves users: an operator only, never a CI signature.
  app.post('/api/projects/:project/stages/:stage/teardown', (c) => {
    const { project, stage } = stageParams(c);
    const principal = authorizeStage(c, deps, { action: 'teardown', project, stage });
    const record = deps.deployer.teardown(project, stage, principalName(principal));
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });

  app.get('/api/orphans', async (c) => {
    authorize(c, deps, { action: 'read-all' });
    return c.json({ orphans: await requireOps(deps).orphans(c.req.raw.signal) });
  });

  app.post('/api/orphans/:project/:stage/teardown', async (c) => {
    const { project, stage } = c.req.param();
    c.set('logFields', { project, stage });
    const principal = authorize(c, deps, { action: 'teardown' });
    const orphans = await requireOps(deps).orphans(c.req.raw.signal);
    if (!orphans.some((o) => o.project === project && o.stage === stage)) {
      const inConfig = hasStage(deps.loaded.config, project, stage);
      throw new NotFoundError(
        inConfig
          ? `${project}/${stage} is in the config, not an orphan: use POST /api/projects/${project}/stages/${stage}/teardown`
          : `no orphaned containers of ${project}/${stage}; GET /api/orphans lists them`,
      );
    }
    const record = deps.deployer.teardown(project, stage, principalName(principal));
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });
}
