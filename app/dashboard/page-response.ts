import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppDeps } from '../http/app-env.js';
import type { PageView } from './layout.js';
import { dashboardToken } from './session-cookie.js';
import { csrfToken, type Session } from './session.js';

/**
 * The view of a page about to be rendered: a fresh CSP nonce (set in the response's headers
 * together with the other browser protections) and, with a session, its CSRF token.
 */
export function pageView<S extends Session | undefined>(
  c: Context,
  deps: AppDeps,
  session: S,
): S extends Session ? PageView & { csrf: string } : PageView {
  const nonce = randomBytes(16).toString('base64');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; ` +
      "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
  const token = dashboardToken(deps);
  const view: PageView = { nonce, now: deps.clock.now() };
  if (session && token) view.csrf = csrfToken(token, session.id);
  if (!session && deps.loginHint) view.loginHint = deps.loginHint;
  return view as S extends Session ? PageView & { csrf: string } : PageView;
}

/** Sends a rendered page as an HTML document. */
export function sendPage(
  c: Context,
  page: { toString(): string | Promise<string> },
  status: ContentfulStatusCode = 200,
) {
  return Promise.resolve(page.toString()).then((html) => c.html(`<!doctype html>${html}`, status));
}
