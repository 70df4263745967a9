import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'dw_session';
/** How long a dashboard login lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;

/** A verified dashboard session: a random id and the moment it ends. */
export interface Session {
  id: string;
  expiresAt: Date;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

// The cookie and the CSRF tokens are signed with a key derived from the API token, never with the
// token itself: the cookie proves a login without carrying the secret, and changing the token
// ends every session.
function sessionKey(apiToken: string): Buffer {
  return createHmac('sha256', apiToken).update('docker-watcher dashboard session key v1').digest();
}

function mac(apiToken: string, message: string): string {
  return createHmac('sha256', sessionKey(apiToken)).update(message).digest('base64url');
}

function sameMac(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A new session and its cookie value `v1.<id>.<expiry seconds>.<hmac>`. */
export function createSession(apiToken: string, now: Date): { session: Session; value: string } {
  const id = randomBytes(18).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const payload = `v1.${id}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return { session: { id, expiresAt }, value: `${payload}.${mac(apiToken, payload)}` };
}

/** The session a cookie value stands for, or undefined when it is forged, malformed or expired. */
export function verifySession(apiToken: string, value: string | undefined, now: Date): Session | undefined {
  if (value === undefined || value.length > 200) return undefined;
  const [version, id, expiry, signature, ...rest] = value.split('.');
  if (version !== 'v1' || rest.length > 0 || !id || !expiry || !signature) return undefined;
  if (!ID_PATTERN.test(id) || !/^\d{1,12}$/.test(expiry)) return undefined;
  if (!sameMac(signature, mac(apiToken, `v1.${id}.${expiry}`))) return undefined;
  const expiresAt = new Date(Number(expiry) * 1000);
  return expiresAt.getTime() > now.getTime() ? { id, expiresAt } : undefined;
}

/** The CSRF token every dashboard form of this session carries. */
export function csrfToken(apiToken: string, sessionId: string): string {
  return mac(apiToken, `csrf.${sessionId}`);
}

/** True when `given` is the CSRF token of the session (compared in constant time). */
export function checkCsrf(apiToken: string, sessionId: string, given: string | null | undefined): boolean {
  return typeof given === 'string' && sameMac(given, csrfToken(apiToken, sessionId));
}
