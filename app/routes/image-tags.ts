import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';

/**
 * GET /api/projects/:project/tags: the tags of the project's image in its registry, newest
 * first, with digest, build time and matching stages (the dashboard's tag picker). Operator
 * (token or session) or the project's CI; 503 when the app has no registry access wired.
 */
export function registerImageTags(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/projects/:project/tags', async (c) => {
    const project = c.req.param('project');
    c.set('logFields', { project });
    // Authenticates first (401 before 404), then looks the project up (own properties).
    authorize(c, deps, { action: 'read', project, session: true });
    if (!deps.imageTags) {
      throw new HTTPException(503, { message: 'this app was started without registry access' });
    }
    return c.json(await deps.imageTags(project, c.req.raw.signal));
  });
}
