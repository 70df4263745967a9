import { randomUUID } from 'node:crypto';
import { signRequest } from '../../../src/protocol/signature.js';

/** mulberry32: a small seeded PRNG, so a failing fuzz case can be replayed from its seed. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
  const token = (length: number) =>
    Array.from({ length }, () =>
      pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.split('')),
    ).join('');
  return { next, int, pick, bytes, token };
}
export type Random = ReturnType<typeof seededRandom>;

/** One fuzzed HTTP request. */
export interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

const PATHS = [
  '/api/deploys',
  '/api/deploys/x',
  '/api/deploys/%00',
  '/api/projects/web',
  '/api/projects/web/stages/dev/deploy',
  '/api/projects/web/stages/dev/rollback',
  '/api/projects/web/stages/prod/promote',
  '/api/projects/web/tags',
  '/api/changes',
  '/api/webhooks/github',
  '/api/webhooks/gitea',
  '/healthz',
  '/metrics',
  '/login',
  '/deploys/../../etc/passwd',
  '/%',
];
/** Routes that take a signature, for signatures made for one and sent to another. */
/** Routes that take a signed POST. */
const SIGNED_POST_PATHS = [
  '/api/deploys',
  '/api/projects/web/stages/dev/deploy',
  '/api/projects/web/stages/prod/deploy',
  '/api/projects/web/stages/prod/rollback',
];
/** Every signed route: a signature made for any of them must not open another. */
const SIGNED_PATHS = [...SIGNED_POST_PATHS, '/api/projects/web'];
/** Names every object inherits: a lookup must treat them as unknown. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
];

/** A random request of one of the abuse kinds, fully determined by `random`. */
export function fuzzRequest(random: Random, secret: string, validBody: string): FuzzRequest {
  const kind = random.pick([
    'random-body',
    'truncated-signed',
    'signed-garbage',
    'random-headers',
    'content-type',
    'huge-header',
    'random-path',
    'big-body',
    'cross-route-signed',
    'login-next',
    'prototype-names',
  ] as const);
  const base = { method: 'POST', path: '/api/deploys' };
  const signed = (raw: string | Buffer) =>
    signRequest(secret, typeof raw === 'string' ? raw : raw.toString('latin1'), {
      method: 'POST',
      path: '/api/deploys',
      key: 'web',
      now: new Date(),
      deliveryId: randomUUID(),
    });
  switch (kind) {
    case 'random-body':
      return {
        kind,
        ...base,
        headers: { 'content-type': 'application/json' },
        body: random.bytes(random.int(2048)),
      };
    case 'truncated-signed': {
      const headers = { 'content-type': 'application/json', ...signed(validBody) };
      return { kind, ...base, headers, body: validBody.slice(0, random.int(validBody.length)) };
    }
    case 'signed-garbage': {
      const body = random.pick([
        validBody.slice(0, random.int(validBody.length)),
        JSON.stringify({ project: random.token(8), tag: random.token(300), image: 1, source: null }),
        JSON.stringify([random.token(5)]),
        '{"project":"web","project":"web","__proto__":{"polluted":true}}',
        'null',
        '1e999',
        '"' + 'a'.repeat(100_000) + '"',
      ]);
      return { kind, ...base, headers: { 'content-type': 'application/json', ...signed(body) }, body };
    }
    case 'random-headers': {
      const headers: Record<string, string> = {};
      for (let i = random.int(20); i > 0; i--)
        headers[`x-${random.token(1 + random.int(30))}`] = random.token(random.int(200));
      headers[
        random.pick([
          'x-docker-watcher-signature',
          'x-docker-watcher-timestamp',
          'x-docker-watcher-delivery',
          'authorization',
          'x-hub-signature-256',
          'x-gitea-signature',
        ])
      ] = random.token(random.int(300));
      return {
        kind,
        method: random.pick(['GET', 'POST', 'PUT', 'DELETE']),
        path: random.pick(PATHS),
        headers,
        body: validBody,
      };
    }
    case 'content-type':
      return {
        kind,
        ...base,
        headers: { 'content-type': random.pick(CONTENT_TYPES), ...signed(validBody) },
        body: validBody,
      };
    case 'huge-header':
      return {
        kind,
        ...base,
        headers: { 'content-type': 'application/json', 'x-huge': 'h'.repeat(8_000 + random.int(70_000)) },
        body: validBody,
      };
    case 'random-path':
      return {
        kind,
        method: random.pick(['GET', 'POST', 'PATCH', 'OPTIONS', 'HEAD']),
        path: `${random.pick(PATHS)}/${random.token(random.int(40))}?${random.token(random.int(50))}=%ZZ`,
        headers: {},
      };
    case 'cross-route-signed': {
      // A valid signature, made for another method/path pair: always 401, never acted on.
      const signedFor = { method: random.pick(['GET', 'POST']), path: random.pick(SIGNED_PATHS) };
      // Sent to a route that exists for POST, so the 401 can only come from the signature.
      const sentTo = random.pick(SIGNED_POST_PATHS.filter((path) => path !== signedFor.path));
      const headers = signRequest(secret, validBody, {
        ...signedFor,
        key: 'web',
        now: new Date(),
        deliveryId: randomUUID(),
      });
      return {
        kind,
        method: 'POST',
        path: sentTo,
        headers: { 'content-type': 'application/json', ...headers },
        body: validBody,
      };
    }
    case 'login-next': {
      const char = String.fromCharCode(random.pick([...Array.from({ length: 0x20 }, (_, i) => i), 0x7f]));
      const next = random.pick([
        `/${char}/evil.example`,
        `${char}//evil.example`,
        `/%${char}`,
        '/.//evil.example',
      ]);
      const encoded = random.pick([encodeURIComponent(next), encodeURIComponent(encodeURIComponent(next))]);
      return { kind, method: 'GET', path: `/login?next=${encoded}`, headers: {} };
    }
    case 'prototype-names': {
      // Signed for exactly this route (so the lookup runs): the name must be unknown, never a 5xx.
      const name = random.pick(PROTOTYPE_NAMES);
      const path = random.pick([
        `/api/projects/web/stages/${name}`,
        `/api/projects/web/stages/${name}/stats`,
      ]);
      const headers = signRequest(secret, '', {
        method: 'GET',
        path,
        key: 'web',
        now: new Date(),
        deliveryId: randomUUID(),
      });
      return { kind, method: 'GET', path, headers: { ...headers } };
    }
    case 'big-body':
      return {
        kind,
        ...base,
        headers: { 'content-type': 'application/json', ...signed('{}') },
        body: Buffer.alloc(1_000_000 + random.int(3_000_000), 0x61),
      };
  }
}

/** A stack frame or a source path in a response: internals leaking to a client. */
export const LEAK = /\n\s+at |\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+|\.js:\d+/;

/** A YAML text derived from `valid` by truncation, character noise or hostile constructs. */
export function fuzzYaml(random: Random, valid: string): string {
  switch (random.int(6)) {
    case 0:
      return valid.slice(0, random.int(valid.length));
    case 1: {
      const chars = valid.split('');
      for (let i = 1 + random.int(10); i > 0; i--)
        chars[random.int(chars.length)] = random.pick([
          ':',
          '{',
          '}',
          '[',
          ']',
          '-',
          '&',
          '*',
          '!',
          '|',
          '>',
          '\t',
          '"',
          "'",
          '#',
          '\n',
          ' ',
          '%',
          '@',
          '`',
        ]);
      return chars.join('');
    }
    case 2:
      return (
        'a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
        Array.from(
          { length: 9 },
          (_, i) =>
            `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(9)
              .fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`)
              .join(',')}]`,
        ).join('\n')
      );
    case 3:
      return `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    case 4:
      return random.bytes(random.int(4096)).toString('latin1');
    default: {
      const lines = valid.split('\n');
      const at = random.int(lines.length);
      lines.splice(
        at,
        0,
        random.pick([
          '  port: !!binary aGVsbG8=',
          '  extra: {',
          '<<: *nothing',
          'global: 42',
          'projects: null',
          '  port: 99999999999999999999',
          `  ${random.token(500)}: x`,
        ]),
      );
      return lines.join('\n');
    }
  }
}
