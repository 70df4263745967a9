import { randomUUID } from 'node:crypto';
import { signRequest } from '../../src/protocol/signature.js';

/** A valid deploy request body for the `web` project of the test config. */
export function webDeployBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project: 'web',
    image: '127.0.0.1:5000/acme/web',
    tag: 'dev-42',
    source: {
      forge: 'github',
      serverUrl: 'https://github.com',
      repository: 'acme/web',
      sha: 'a'.repeat(40),
      pr: 7,
    },
    ...overrides,
  };
}

/** RequestInit for a POST signed with `secret` (the body is signed exactly as sent). */
export function signedPost(
  secret: string,
  body: unknown,
  options: { now?: Date; deliveryId?: string; contentType?: string } = {},
): RequestInit {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...signRequest(secret, raw, {
        now: options.now ?? new Date(),
        deliveryId: options.deliveryId ?? randomUUID(),
      }),
    },
    body: raw,
  };
}

/** Headers of a GET signed with `secret` (empty body). */
export function signedGetHeaders(secret: string, deliveryId = randomUUID()): Record<string, string> {
  return { ...signRequest(secret, '', { now: new Date(), deliveryId }) };
}
