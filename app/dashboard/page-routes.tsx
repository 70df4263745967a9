import type { Context, Hono } from 'hono';
import { NotFoundError } from '../../src/core/errors.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { findDeploy } from '../routes/deploys.js';
import { DeployPage } from './deploy-page.js';
import { OverviewPage, overviewPage } from './overview-page.js';
import { pageView, sendPage } from './page-response.js';
import { HISTORY_DEFAULT, HISTORY_MAX, ProjectPage } from './project-page.js';
import { readSession } from './session-cookie.js';
import { loadOrphans } from './stage-ops-data.js';
import type { Session } from './session.js';

/** Runs `render` with the request's session, or sends the browser to log in first. */
export function withSession(
  deps: AppDeps,
  render: (c: Context<AppEnv>, session: Session) => Response | Promise<Response>,
) {
  return (c: Context<AppEnv>) => {
    const session = readSession(c, deps);
    if (!session) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    }
    return render(c, session);
  };
}

function historyLimit(raw: string | undefined): number {
  const limit = Number(raw);
  return Number.isInteger(limit) && limit >= 1 ? Math.min(limit, HISTORY_MAX) : HISTORY_DEFAULT;
}

/** GET /, /projects/:project and /deploys/:id. */
export function registerPages(app: Hono<AppEnv>, deps: AppDeps): void {
  const { config } = deps.loaded;

  app.get(
    '/',
    withSession(deps, async (c, session) => {
      const orphans = await loadOrphans(deps);
      const view = { ...pageView(c, deps, session), live: 'page' as const };
      const page = overviewPage(c.req.query('page'), Object.keys(config.projects).length);
      return sendPage(
        c,
        <OverviewPage config={config} store={deps.store} view={view} page={page} orphans={orphans} />,
      );
    }),
  );

  app.get(
    '/projects/:project',
    withSession(deps, (c, session) => {
      const project = c.req.param('project') ?? '';
      if (!Object.hasOwn(config.projects, project)) {
        const known = Object.keys(config.projects).join(', ') || 'none';
        throw new NotFoundError(`project "${project}" is not in the app's config (projects: ${known})`);
      }
      c.set('logFields', { project });
      const limit = historyLimit(c.req.query('limit'));
      const view = { ...pageView(c, deps, session), live: 'regions' as const };
      return sendPage(
        c,
        <ProjectPage config={config} store={deps.store} project={project} limit={limit} view={view} />,
      );
    }),
  );

  app.get(
    '/deploys/:id',
    withSession(deps, (c, session) => {
      const deploy = findDeploy(deps, c.req.param('id') ?? '');
      c.set('logFields', { deployId: deploy.id, project: deploy.project, stage: deploy.stage });
      const events = deps.store.listEvents(deploy.id);
      return sendPage(c, <DeployPage deploy={deploy} events={events} view={pageView(c, deps, session)} />);
    }),
  );
}
