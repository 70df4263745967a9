import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import { findStage } from '../../src/config/config-lookup.js';
import { ValidationError } from '../../src/core/errors.js';
import { intakeDeploy } from '../../src/deploy/intake.js';
import { manualDeploySchema, zodIssues } from '../../src/protocol/deploy-request.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { findDeploy } from '../routes/deploys.js';
import { paths } from './components.js';
import { readForm } from './form-body.js';
import { dashboardToken, isSameOrigin, readSession } from './session-cookie.js';
import { checkCsrf } from './session.js';

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
  const record = await act(form);
  c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
  return c.redirect(paths.deploy(record.id), 303);
}

/** POST /dashboard-actions/...: deploy a version, roll back a stage, approve a deploy. */
export function registerActions(app: Hono<AppEnv>, deps: AppDeps): void {
  app.post('/dashboard-actions/projects/:project/deploy', (c) =>
    runAction(c, deps, (form) => {
      const project = c.req.param('project');
      const parsed = manualDeploySchema.safeParse({ tag: (form.get('tag') ?? '').trim() });
      if (!parsed.success)
        throw new ValidationError('the tag is not a valid Docker tag', zodIssues(parsed.error));
      const stage = form.get('stage') || undefined;
      return intakeDeploy(deps.loaded.config, deps.deploys, {
        project,
        ...(stage ? { stage } : {}),
        tag: parsed.data.tag,
        trigger: 'manual',
        requestedBy: DASHBOARD_ACTOR,
      });
    }),
  );

  app.post('/dashboard-actions/projects/:project/stages/:stage/rollback', (c) =>
    runAction(c, deps, () => {
      const { project, stage } = c.req.param();
      findStage(deps.loaded.config, project, stage);
      return deps.deploys.rollback(project, stage, DASHBOARD_ACTOR);
    }),
  );

  app.post('/dashboard-actions/deploys/:id/approve', (c) =>
    runAction(c, deps, () => deps.deploys.approve(findDeploy(deps, c.req.param('id')).id, DASHBOARD_ACTOR)),
  );
}
