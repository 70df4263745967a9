import type { Context, Hono } from 'hono';
import { stageDomain } from '../../src/config/domains.js';
import { resolveStage } from '../../src/config/resolve-stage.js';
import type { ProjectConfig } from '../../src/config/schema.js';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import { manualDeploySchema, zodIssues } from '../../src/protocol/deploy-request.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize, principalName } from '../http/auth.js';
import { acceptedBody, publicRecord } from '../http/deploy-views.js';
import { parseJsonBody, readRawBody, requireJson } from '../http/raw-body.js';

function findProject(deps: AppDeps, name: string): ProjectConfig {
  const project = Object.hasOwn(deps.loaded.config.projects, name)
    ? deps.loaded.config.projects[name]
    : undefined;
  if (!project)
    throw new NotFoundError(`project "${name}" is not in the app's config; see GET /api/projects`);
  return project;
}

function findStage(deps: AppDeps, projectName: string, stage: string): void {
  const project = findProject(deps, projectName);
  if (!Object.hasOwn(project.stages, stage)) {
    const known = Object.keys(project.stages).join(', ') || 'none';
    throw new NotFoundError(`project "${projectName}" has no stage "${stage}" (stages: ${known})`);
  }
}

/** What the API shows of a stage: its policy, domain and live version; never env or secrets. */
function stageSummary(deps: AppDeps, project: string, stage: string) {
  const config = deps.loaded.config.projects[project]!.stages[stage]!;
  return {
    name: stage,
    tagPattern: config.tag_pattern,
    autoDeploy: config.auto_deploy,
    confirm: config.confirm,
    ...(config.promote_from ? { promoteFrom: config.promote_from } : {}),
    domain: stageDomain(deps.loaded.config, project, stage),
    live: deps.store.getLive(project, stage) ?? null,
  };
}

function projectSummary(deps: AppDeps, name: string) {
  const project = findProject(deps, name);
  return {
    name,
    image: project.image,
    port: project.port,
    healthcheck: project.healthcheck,
    ...(project.repository ? { repository: project.repository } : {}),
    ownSecret: project.secret_env !== undefined,
    stages: Object.keys(project.stages).map((stage) => stageSummary(deps, name, stage)),
  };
}

/** Reads an optional JSON body of a manual action (with the same limits as deploy requests). */
async function readActionBody(c: Context): Promise<Uint8Array> {
  if (c.req.header('content-length') === '0' || !c.req.raw.body) return new Uint8Array(0);
  requireJson(c);
  return readRawBody(c);
}

/** Project and stage views, manual deploys and rollbacks. */
export function registerProjects(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/projects', (c) => {
    authorize(c, deps, {});
    return c.json({
      projects: Object.keys(deps.loaded.config.projects).map((name) => projectSummary(deps, name)),
    });
  });

  app.get('/api/projects/:project', async (c) => {
    const name = c.req.param('project');
    findProject(deps, name);
    c.set('logFields', { project: name });
    authorize(c, deps, { project: name });
    const recent = deps.store.listDeploys({ project: name, limit: 20 }).map(publicRecord);
    // Resource use of the live stages (see src/ops/stage-ops.ts); absent without Docker access.
    const resources = deps.ops ? await deps.ops.projectStats(name, c.req.raw.signal) : undefined;
    return c.json({ project: projectSummary(deps, name), recent, ...(resources ? { resources } : {}) });
  });

  app.get('/api/projects/:project/stages/:stage', (c) => {
    const { project, stage } = c.req.param();
    findStage(deps, project, stage);
    c.set('logFields', { project, stage });
    authorize(c, deps, { project });
    const history = deps.store.listDeploys({ project, stage, limit: 20 }).map(publicRecord);
    return c.json({ project, stage: stageSummary(deps, project, stage), history });
  });

  app.post('/api/projects/:project/stages/:stage/deploy', async (c) => {
    const { project, stage } = c.req.param();
    findStage(deps, project, stage);
    c.set('logFields', { project, stage });
    requireJson(c);
    const raw = await readRawBody(c);
    const principal = authorize(c, deps, { project }, raw);
    const parsed = manualDeploySchema.safeParse(parseJsonBody(raw));
    if (!parsed.success)
      throw new ValidationError('the manual deploy request is invalid', zodIssues(parsed.error));
    resolveStage(deps.loaded.config, project, parsed.data.tag, stage);
    const record = deps.deploys.submit({
      project,
      stage,
      image: findProject(deps, project).image,
      tag: parsed.data.tag,
      ...(parsed.data.digest ? { digest: parsed.data.digest } : {}),
      trigger: 'manual',
      requestedBy: principalName(principal),
    });
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });

  app.post('/api/projects/:project/stages/:stage/rollback', async (c) => {
    const { project, stage } = c.req.param();
    findStage(deps, project, stage);
    c.set('logFields', { project, stage });
    const principal = authorize(c, deps, { project }, await readActionBody(c));
    const record = deps.deploys.rollback(project, stage, principalName(principal));
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });
}
