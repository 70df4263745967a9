import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { NotFoundError } from '../../src/core/errors.js';
import type { StageOps } from '../../src/ops/stage-ops.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize, principalName } from '../http/auth.js';
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

/** Reads :project and :stage, which must be in the config (404 naming what is known otherwise). */
export function configuredStage(c: Context<AppEnv>, deps: AppDeps): { project: string; stage: string } {
  const { project, stage } = c.req.param() as { project: string; stage: string };
  const { projects } = deps.loaded.config;
  const config = Object.hasOwn(projects, project) ? projects[project] : undefined;
  if (!config)
    throw new NotFoundError(
      `project "${project}" is not in the app's config; see GET /api/projects or GET /api/orphans`,
    );
  if (!Object.hasOwn(config.stages, stage)) {
    const known = Object.keys(config.stages).join(', ') || 'none';
    throw new NotFoundError(
      `project "${project}" has no stage "${stage}" (stages: ${known}); a removed stage is listed by GET /api/orphans`,
    );
  }
  c.set('logFields', { project, stage });
  return { project, stage };
}

/** Resource use, teardown of a stage, and orphaned stages. */
export function registerStageOps(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/projects/:project/stages/:stage/stats', async (c) => {
    const { project, stage } = configuredStage(c, deps);
    authorize(c, deps, { project });
    return c.json(await requireOps(deps).stats(project, stage, c.req.raw.signal));
  });

  // Teardown removes what serves users: the API token only, never a CI signature.
  app.post('/api/projects/:project/stages/:stage/teardown', (c) => {
    const { project, stage } = configuredStage(c, deps);
    const principal = authorize(c, deps, { project, tokenOnly: true });
    const record = deps.deploys.teardown(project, stage, principalName(principal));
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });

  app.get('/api/orphans', async (c) => {
    authorize(c, deps, { tokenOnly: true });
    return c.json({ orphans: await requireOps(deps).orphans(c.req.raw.signal) });
  });

  app.post('/api/orphans/:project/:stage/teardown', async (c) => {
    const { project, stage } = c.req.param();
    c.set('logFields', { project, stage });
    const principal = authorize(c, deps, { tokenOnly: true });
    const orphans = await requireOps(deps).orphans(c.req.raw.signal);
    if (!orphans.some((o) => o.project === project && o.stage === stage)) {
      const inConfig = deps.loaded.config.projects[project]?.stages[stage] !== undefined;
      throw new NotFoundError(
        inConfig
          ? `${project}/${stage} is in the config, not an orphan: use POST /api/projects/${project}/stages/${stage}/teardown`
          : `no orphaned containers of ${project}/${stage}; GET /api/orphans lists them`,
      );
    }
    const record = deps.deploys.teardown(project, stage, principalName(principal));
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });
}
