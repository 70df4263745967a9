import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 'dwf1';

function mac(secret: string, deployId: string, expires: string): Buffer {
  // A separate message domain, so a follow token can never pass as a request signature.
  return createHmac('sha256', secret).update(`docker-watcher-follow.${deployId}.${expires}`).digest();
}

/**
 * A short-lived bearer token to read one deploy and its events. It is derived from the secret
 * the deploy request was signed with, so the app keeps no state and the CI side (which knows
 * the secret) can make one itself, e.g. after a retried request that the app had already taken.
 */
export function createFollowToken(secret: string, deployId: string, expiresAt: Date): string {
  const expires = String(Math.floor(expiresAt.getTime() / 1000));
  return `${VERSION}.${expires}.${mac(secret, deployId, expires).toString('hex')}`;
}

/**
 * Whether `token` is a valid, unexpired follow token for `deployId`. The server caps its
 * lifetime: a token whose expiry lies more than `maxTtlMs` ahead is refused, whatever it says
 * (whoever holds the secret could otherwise mint one that never expires).
 */
export function verifyFollowToken(
  secret: string,
  deployId: string,
  token: string,
  now: Date,
  maxTtlMs: number,
): boolean {
  const [version, expires, hex, ...rest] = token.split('.');
  if (version !== VERSION || !expires || !hex || rest.length > 0 || !/^\d{1,12}$/.test(expires)) return false;
  const expiresMs = Number(expires) * 1000;
  if (expiresMs < now.getTime() || expiresMs > now.getTime() + maxTtlMs || !secret) return false;
  const expected = mac(secret, deployId, expires);
  const actual = Buffer.from(hex, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Whether a bearer value looks like a follow token (rather than the API token). */
export function isFollowToken(token: string): boolean {
  return token.startsWith(`${VERSION}.`);
}
