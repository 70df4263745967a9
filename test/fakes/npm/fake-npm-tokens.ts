import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * JWT-shaped tokens for the fake NPM (HS256 instead of NPM's RS256: same shape, no key files).
 * Tests can expire or revoke every token issued so far, or rotate the signing key.
 */
export function createTokenAuthority(ttlMs: number, clock: () => number = Date.now) {
  let key = randomBytes(32);
  let expiredBefore = 0;
  const revoked = new Set<string>();
  const issued: string[] = [];
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (data: string) => createHmac('sha256', key).update(data).digest();

  return {
    issue(userId: number): { token: string; expires: string } {
      const now = Math.max(clock(), expiredBefore);
      const jti = randomBytes(6).toString('base64url');
      issued.push(jti);
      const payload = { attrs: { id: userId }, scope: ['user'], jti, iat: now, exp: now + ttlMs };
      const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
      return {
        token: `${data}.${sign(data).toString('base64url')}`,
        expires: new Date(payload.exp).toISOString(),
      };
    },
    /** The user id of a good token, or the message NPM's jsonwebtoken check would give. */
    verify(token: string): { userId: number } | { error: string } {
      const [header, body, signature] = token.split('.');
      if (!header || !body || !signature) return { error: 'jwt malformed' };
      const expected = sign(`${header}.${body}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { error: 'invalid signature' };
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as {
        attrs: { id: number };
        jti: string;
        iat: number;
        exp: number;
      };
      if (payload.exp <= clock() || payload.iat < expiredBefore) return { error: 'Token has expired' };
      if (revoked.has(payload.jti)) return { error: 'invalid token' };
      return { userId: payload.attrs.id };
    },
    /** Every token issued until now counts as expired. */
    expireAll() {
      expiredBefore = clock() + 1;
    },
    /** Every token issued until now is refused as invalid. */
    revokeAll() {
      for (const jti of issued) revoked.add(jti);
    },
    rotateKey() {
      key = randomBytes(32);
    },
  };
}
