import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import { findStage } from '../../src/config/config-lookup.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import { intakeDeploy } from '../../src/deploy/intake.js';
import { promotionRequest } from '../../src/deploy/promotion.js';
import { manualDeploySchema, zodIssues } from '../../src/protocol/deploy-request.js';
import type { ActionFormEcho, AppDeps, AppEnv } from '../http/app-env.js';
import { findDeploy } from '../routes/deploys.js';
import { paths } from './components.js';
import { readForm, safeNext } from './form-body.js';
import { dashboardToken, isSameOrigin, readSession } from './session-cookie.js';
import { checkCsrf } from './session.js';

/** Fields of a dashboard form a refusal shows again (never the CSRF token). */
const ECHOED_FIELDS = ['tag', 'digest', 'stage'];

function echoOf(c: Context<AppEnv>, form: URLSearchParams): ActionFormEcho {
  const fields: Record<string, string> = {};
  for (const name of ECHOED_FIELDS) {
    const value = form.get(name);
    if (value !== null) fields[name] = value.slice(0, 200);
  }
  let back: string | undefined;
  try {
    const referer = new URL(c.req.header('referer') ?? '');
    if (referer.origin === new URL(c.req.url).origin) back = safeNext(referer.pathname + referer.search);
  } catch {
    // No usable Referer: the refusal links to the overview.
  }
  return { action: c.req.path, fields, ...(back ? { back } : {}) };
}

/** Who the engine records for actions taken on the dashboard. */
export const DASHBOARD_ACTOR = 'dashboard';

/**
 * Runs a dashboard action: a session, a same-origin form and its session's CSRF token are all
 * required before `act` runs; then the browser goes to the deploy's page.
 */
export async function runAction(
  c: Context<AppEnv>,
  deps: AppDeps,
  act: (form: URLSearchParams) => DeployRecord | Promise<DeployRecord>,
): Promise<Response> {
  const session = readSession(c, deps);
  if (!session) return c.redirect('/login', 303);
  const refused = 'this form was not sent from the dashboard: reload the dashboard and try again';
  if (!isSameOrigin(c, deps)) throw new HTTPException(403, { message: refused });
  const form = await readForm(c);
  if (!checkCsrf(dashboardToken(deps)!, session.id, form.get('csrf'))) {
    throw new HTTPException(403, { message: refused });
  }
  c.set('actionForm', echoOf(c, form));
  const record = await act(form);
  c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
  return c.redirect(paths.deploy(record.id), 303);
}

/** POST /dashboard-actions/...: deploy a version, promote, roll back a stage, approve a deploy. */
export function registerActions(app: Hono<AppEnv>, deps: AppDeps): void {
  app.post('/dashboard-actions/projects/:project/deploy', (c) =>
    runAction(c, deps, (form) => {
      const project = c.req.param('project');
      const digest = (form.get('digest') ?? '').trim();
      const parsed = manualDeploySchema.safeParse({
        tag: (form.get('tag') ?? '').trim(),
        ...(digest ? { digest } : {}),
      });
      if (!parsed.success)
        throw new ValidationError('the tag or digest is not valid', zodIssues(parsed.error));
      const stage = form.get('stage') || undefined;
      return intakeDeploy(deps.loaded.config, deps.deployer, {
        project,
        ...(stage ? { stage } : {}),
        tag: parsed.data.tag,
        ...(parsed.data.digest ? { digest: parsed.data.digest } : {}),
        trigger: 'manual',
        requestedBy: DASHBOARD_ACTOR,
      });
    }),
  );

  app.post('/dashboard-actions/projects/:project/stages/:stage/rollback', (c) =>
    runAction(c, deps, () => {
      const { project, stage } = c.req.param();
      findStage(deps.loaded.config, project, stage);
      return deps.deployer.rollback(project, stage, DASHBOARD_ACTOR);
    }),
  );

  app.post('/dashboard-actions/projects/:project/stages/:stage/promote', (c) =>
    runAction(c, deps, () => {
      const { project, stage } = c.req.param();
      findStage(deps.loaded.config, project, stage);
      const request = promotionRequest(deps.loaded.config, deps.store, project, stage, DASHBOARD_ACTOR);
      return intakeDeploy(deps.loaded.config, deps.deployer, request);
    }),
  );

  app.post('/dashboard-actions/projects/:project/previews/:pr/remove', (c) =>
    runAction(c, deps, () => {
      const project = c.req.param('project');
      const pr = Number(c.req.param('pr'));
      if (!deps.previews) throw new ConflictError('previews are not running in this app');
      const preview = Number.isSafeInteger(pr) ? deps.store.getPreview(project, pr) : undefined;
      if (!preview || preview.state === 'removed')
        throw new NotFoundError(`no live preview of PR #${c.req.param('pr')} in project "${project}"`);
      const record = deps.previews.removeNow(project, pr, `removed on the dashboard`);
      if (!record) throw new ConflictError(`the preview of PR #${pr} is already being removed`, 409);
      return record;
    }),
  );

  app.post('/dashboard-actions/deploys/:id/approve', (c) =>
    runAction(c, deps, () => deps.deployer.approve(findDeploy(deps, c.req.param('id')).id, DASHBOARD_ACTOR)),
  );
}
