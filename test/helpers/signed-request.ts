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

export interface SignOptions {
  now?: Date;
  deliveryId?: string;
  contentType?: string;
  /** The route signed for; default POST /api/deploys. */
  method?: string;
  path?: string;
  /** The key (project) named in the signature; default the body's project, else the path's. */
  key?: string;
}

function keyOf(body: unknown, path: string, key?: string): string {
  if (key !== undefined) return key;
  const named = (body as { project?: unknown } | null)?.project;
  if (typeof named === 'string') return named;
  return /^\/api\/projects\/([^/?]+)/.exec(path)?.[1] ?? 'web';
}

/** RequestInit for a POST signed with `secret` (the body is signed exactly as sent). */
export function signedPost(secret: string, body: unknown, options: SignOptions = {}): RequestInit {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const path = options.path ?? '/api/deploys';
  return {
    method: options.method ?? 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...signRequest(secret, raw, {
        method: options.method ?? 'POST',
        path,
        key: keyOf(body, path, options.key),
        now: options.now ?? new Date(),
        deliveryId: options.deliveryId ?? randomUUID(),
      }),
    },
    body: raw,
  };
}

/** Headers of a GET of `path` signed with `secret` (empty body); the key defaults to the path's project. */
export function signedGetHeaders(
  secret: string,
  path: string,
  options: { key?: string; deliveryId?: string } = {},
): Record<string, string> {
  return {
    ...signRequest(secret, '', {
      method: 'GET',
      path,
      key: keyOf(undefined, path, options.key),
      now: new Date(),
      deliveryId: options.deliveryId ?? randomUUID(),
    }),
  };
}
