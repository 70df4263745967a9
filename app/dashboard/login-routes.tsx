import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { safeEqual } from '../http/auth.js';
import { readForm, safeNext } from './form-body.js';
import { LoginPage } from './login-page.js';
import { pageView, sendPage } from './page-response.js';
import { dashboardToken, endSession, isSameOrigin, readSession, startSession } from './session-cookie.js';
import { checkCsrf } from './session.js';

export interface LoginOptions {
  /** Pause before answering a wrong token, to slow guessing down; default 1 s. */
  failureDelayMs?: number;
}

const CROSS_SITE = 'this form was not sent from the dashboard: reload the dashboard and try again';

/** GET/POST /login and POST /logout. */
export function registerLogin(app: Hono<AppEnv>, deps: AppDeps, options: LoginOptions): void {
  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (readSession(c, deps)) return c.redirect(next, 302);
    return sendPage(c, <LoginPage view={pageView(c, deps, undefined)} next={next} />);
  });

  app.post('/login', async (c) => {
    if (!isSameOrigin(c, deps)) throw new HTTPException(403, { message: CROSS_SITE });
    const client = deps.clientOf(c);
    const now = deps.clock.now();
    const waitMs = deps.throttle.retryAfterMs(client, now);
    if (waitMs > 0) {
      const minutes = Math.ceil(waitMs / 60_000);
      const error = `Too many wrong tokens from your address. Try again in ${minutes} min.`;
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
      return sendPage(c, <LoginPage view={pageView(c, deps, undefined)} next="/" error={error} />, 429);
    }
    const form = await readForm(c);
    const next = safeNext(form.get('next'));
    const token = dashboardToken(deps);
    if (token && safeEqual(form.get('token') ?? '', token)) {
      deps.throttle.succeeded(client);
      startSession(c, deps, token);
      return c.redirect(next, 303);
    }
    deps.throttle.failed(client, now);
    deps.logger.warn('dashboard login refused', { client });
    await deps.clock.sleep(options.failureDelayMs ?? 1000);
    const error = token
      ? 'That token is not valid.'
      : `The dashboard is off: set ${deps.loaded.config.global.api_token_env} for the app and restart it.`;
    return sendPage(c, <LoginPage view={pageView(c, deps, undefined)} next={next} error={error} />, 401);
  });

  app.post('/logout', async (c) => {
    const session = readSession(c, deps);
    if (session) {
      const token = dashboardToken(deps)!;
      if (!isSameOrigin(c, deps) || !checkCsrf(token, session.id, (await readForm(c)).get('csrf'))) {
        throw new HTTPException(403, { message: CROSS_SITE });
      }
    }
    endSession(c, deps, session);
    return c.redirect('/login', 303);
  });
}
