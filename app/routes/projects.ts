import type { Context, Hono } from 'hono';
import { stageDomain } from '../../src/config/domains.js';
import { findProject } from '../../src/config/config-lookup.js';
import type { LiveVersion } from '../../src/core/deploy-types.js';
import { ValidationError } from '../../src/core/errors.js';
import { intakeDeploy } from '../../src/deploy/intake.js';
import { promotionRequest } from '../../src/deploy/promotion.js';
import { manualDeploySchema, zodIssues } from '../../src/protocol/deploy-request.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize, principalName } from '../http/auth.js';
import { acceptedBody, publicRecord } from '../http/deploy-views.js';
import { parseJsonBody, readRawBody, requireJson } from '../http/raw-body.js';

/** The live version of a stage, given the project and stage names. */
type LiveLookup = (project: string, stage: string) => LiveVersion | undefined;

/**
 * Every stage's live version from one query: GET /api/projects at 510 stages spent most of its
 * time in 510 single-row lookups (node:sqlite's cost per statement call, not the index).
 */
function allLive(deps: AppDeps): LiveLookup {
  const byStage = new Map<string, Map<string, LiveVersion>>();
  for (const live of deps.store.listLive()) {
    let stages = byStage.get(live.project);
    if (!stages) byStage.set(live.project, (stages = new Map<string, LiveVersion>()));
    stages.set(live.stage, live);
  }
  return (project, stage) => byStage.get(project)?.get(stage);
}

/** Live versions looked up one stage at a time: for the routes showing a few stages. */
function oneLive(deps: AppDeps): LiveLookup {
  return (project, stage) => deps.store.getLive(project, stage);
}

/** What the API shows of a stage: its policy, domain and live version; never env or secrets. */
function stageSummary(deps: AppDeps, project: string, stage: string, live: LiveLookup) {
  const config = deps.loaded.config.projects[project]!.stages[stage]!;
  return {
    name: stage,
    tagPattern: config.tag_pattern,
    autoDeploy: config.auto_deploy,
    confirm: config.confirm,
    ...(config.promote_from ? { promoteFrom: config.promote_from } : {}),
    domain: stageDomain(deps.loaded.config, project, stage),
    live: live(project, stage) ?? null,
  };
}

function projectSummary(deps: AppDeps, name: string, live: LiveLookup) {
  const project = findProject(deps.loaded.config, name);
  return {
    name,
    image: project.image,
    port: project.port,
    healthcheck: project.healthcheck,
    ...(project.repository ? { repository: project.repository } : {}),
    ownSecret: project.secret_env !== undefined,
    stages: Object.keys(project.stages).map((stage) => stageSummary(deps, name, stage, live)),
  };
}

/** Reads an optional JSON body of a manual action (with the same limits as deploy requests). */
async function readActionBody(c: Context): Promise<Uint8Array> {
  if (c.req.header('content-length') === '0' || !c.req.raw.body) return new Uint8Array(0);
  requireJson(c);
  return readRawBody(c);
}

/** Project and stage views, manual deploys, promotions and rollbacks. */
export function registerProjects(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/projects', (c) => {
    authorize(c, deps, { action: 'read-all' });
    const live = allLive(deps);
    return c.json({
      projects: Object.keys(deps.loaded.config.projects).map((name) => projectSummary(deps, name, live)),
    });
  });

  app.get('/api/projects/:project', async (c) => {
    const name = c.req.param('project');
    c.set('logFields', { project: name });
    authorize(c, deps, { action: 'read', project: name });
    const recent = deps.store.listDeploys({ project: name, limit: 20 }).map(publicRecord);
    // Resource use of the live stages (see src/ops/stage-ops.ts); absent without Docker access.
    const resources = deps.ops ? await deps.ops.projectStats(name, c.req.raw.signal) : undefined;
    return c.json({
      project: projectSummary(deps, name, oneLive(deps)),
      recent,
      ...(resources ? { resources } : {}),
    });
  });

  app.get('/api/projects/:project/stages/:stage', (c) => {
    const { project, stage } = c.req.param();
    c.set('logFields', { project, stage });
    authorize(c, deps, { action: 'read', project, stage });
    const history = deps.store.listDeploys({ project, stage, limit: 20 }).map(publicRecord);
    return c.json({ project, stage: stageSummary(deps, project, stage, oneLive(deps)), history });
  });

  app.post('/api/projects/:project/stages/:stage/deploy', async (c) => {
    const { project, stage } = c.req.param();
    c.set('logFields', { project, stage });
    requireJson(c);
    const raw = await readRawBody(c);
    const principal = authorize(c, deps, { action: 'deploy', project, stage }, raw);
    const parsed = manualDeploySchema.safeParse(parseJsonBody(raw));
    if (!parsed.success)
      throw new ValidationError('the manual deploy request is invalid', zodIssues(parsed.error));
    // A principal that cannot approve (CI) gets the stage's policy, as its deploy requests do:
    // a stage that needs approval parks the deploy as awaiting_approval.
    const record = intakeDeploy(deps.loaded.config, deps.deployer, {
      project,
      stage,
      tag: parsed.data.tag,
      ...(parsed.data.digest ? { digest: parsed.data.digest } : {}),
      trigger: principal.decision === 'policy' ? 'ci' : 'manual',
      requestedBy: principalName(principal),
    });
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });

  // A promotion is a person's decision, like an approval: an operator, never a CI signature
  // (the permission table's `promote` row).
  app.post('/api/projects/:project/stages/:stage/promote', async (c) => {
    const { project, stage } = c.req.param();
    c.set('logFields', { project, stage });
    const principal = authorize(c, deps, { action: 'promote', project, stage }, await readActionBody(c));
    const request = promotionRequest(
      deps.loaded.config,
      deps.store,
      project,
      stage,
      principalName(principal),
    );
    const record = intakeDeploy(deps.loaded.config, deps.deployer, request);
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });

  app.post('/api/projects/:project/stages/:stage/rollback', async (c) => {
    const { project, stage } = c.req.param();
    c.set('logFields', { project, stage });
    const principal = authorize(c, deps, { action: 'rollback', project, stage }, await readActionBody(c));
    const record = deps.deployer.rollback(project, stage, principalName(principal));
    c.set('logFields', { deployId: record.id, project, stage });
    return c.json(acceptedBody(c, deps, record), 202);
  });
}
