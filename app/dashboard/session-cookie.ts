import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppDeps } from '../http/app-env.js';
import { forgetExpiredRecords } from '../http/expiring-records.js';
import { createSession, SESSION_COOKIE, SESSION_TTL_MS, verifySession, type Session } from './session.js';

/** The dashboard token (the API token), or undefined when the config's variable is empty. */
export function dashboardToken(deps: AppDeps): string | undefined {
  return deps.secrets.apiToken.value;
}

/** The valid, not logged-out session of the request's `dw_session` cookie, if any. */
export function readSession(c: Context, deps: AppDeps): Session | undefined {
  const token = dashboardToken(deps);
  if (!token) return undefined;
  const session = verifySession(token, getCookie(c, SESSION_COOKIE), deps.clock.now());
  if (!session || deps.store.claimed('logged-out-session', session.id, deps.clock.now()) !== undefined)
    return undefined;
  return session;
}

/** Cookies get Secure when the request came over https or the app's public URL is https. */
function secureCookie(c: Context, deps: AppDeps): boolean {
  return (
    new URL(c.req.url).protocol === 'https:' ||
    deps.loaded.config.global.public_url?.startsWith('https:') === true
  );
}

/** Starts a session: sets the signed cookie (HttpOnly, SameSite=Strict, Path=/). */
export function startSession(c: Context, deps: AppDeps, token: string): Session {
  const { session, value } = createSession(token, deps.clock.now());
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: secureCookie(c, deps),
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  });
  return session;
}

/**
 * Ends a session: the browser drops the cookie, and its id is remembered as logged out so a
 * copy of the cookie stops working too (until it would have expired anyway).
 */
export function endSession(c: Context, deps: AppDeps, session: Session | undefined): void {
  if (session) {
    const now = deps.clock.now();
    // Past its expiry the cookie fails on its own: the record can go then.
    forgetExpiredRecords(deps.store, now);
    deps.store.claimOnce('logged-out-session', session.id, session.expiresAt.getTime() - now.getTime(), now);
  }
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secureCookie(c, deps) });
}

/**
 * Same-origin check of a form post: the Origin header (or, without one, the Referer) must name
 * the host the request was sent to or the host of global.public_url. Browsers always send one
 * of them on a form post, so a request with neither is refused too.
 */
export function isSameOrigin(c: Context, deps: AppDeps): boolean {
  const origin = c.req.header('origin');
  const claimed = origin !== undefined ? origin : c.req.header('referer');
  if (claimed === undefined || claimed === 'null') return false;
  let host: string;
  try {
    host = new URL(claimed).host;
  } catch {
    return false;
  }
  const allowed = [new URL(c.req.url).host];
  const publicUrl = deps.loaded.config.global.public_url;
  if (publicUrl) allowed.push(new URL(publicUrl).host);
  return allowed.includes(host);
}
