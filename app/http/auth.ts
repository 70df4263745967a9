import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { LoadedConfig } from '../../src/config/loaded-config.js';
import { AuthError, ConflictError } from '../../src/core/errors.js';
import { isFollowToken, verifyFollowToken } from '../../src/protocol/follow-token.js';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../../src/protocol/signature.js';
import { readSession } from '../dashboard/session-cookie.js';
import type { AppDeps } from './app-env.js';
import { forgetExpiredRecords } from './expiring-records.js';

const EMPTY_BODY = new Uint8Array(0);

/** Who made a request, as far as the API cares. */
export type Principal =
  | { kind: 'token' }
  | { kind: 'signature'; project: string }
  | { kind: 'follow'; deployId: string }
  | { kind: 'session' };

/** Compares two strings in constant time (over their SHA-256, so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The secret that signs requests for `project`: its own secret_env when it has one (then only
 * that secret works for it), else global.secret_env. `env` names the variable for messages.
 */
export function signingSecret(
  loaded: LoadedConfig,
  project: string | undefined,
): { secret?: string; env: string } {
  const { projects, global } = loaded.config;
  const own =
    project !== undefined && Object.hasOwn(projects, project) ? projects[project]?.secret_env : undefined;
  const env = own ?? global.secret_env;
  const secret = loaded.secrets[env];
  return secret ? { secret, env } : { env };
}

/** Verifies the signature headers of `c` against `secret` and burns the delivery id. */
export function verifySignedRequest(
  c: Context,
  deps: AppDeps,
  secret: string | undefined,
  body: Uint8Array,
): string {
  const result = verifySignature(
    secret ?? '',
    body,
    {
      timestamp: c.req.header(TIMESTAMP_HEADER),
      deliveryId: c.req.header(DELIVERY_HEADER),
      signature: c.req.header(SIGNATURE_HEADER),
    },
    deps.clock.now(),
  );
  if (!result.ok) throw new AuthError(`signed request refused: ${result.reason}`);
  return result.deliveryId;
}

export interface AuthScope {
  /** The project the route acts on; signed requests are accepted only when there is one. */
  project?: string;
  /** Set on the two read routes of one deploy, where its follow token is accepted. */
  followDeployId?: string;
  /** Accept only the API token (approvals: CI must not approve its own deploys). */
  tokenOnly?: boolean;
  /** Also accept the dashboard's session cookie (read routes its pages call, e.g. the SSE log). */
  session?: boolean;
}

/**
 * Authenticates a read or a manual action: the API token as a bearer, a deploy's follow token
 * on its own read routes, or a request signed with the project's secret on project routes.
 */
export function authorize(
  c: Context,
  deps: AppDeps,
  scope: AuthScope,
  body: Uint8Array = EMPTY_BODY,
): Principal {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new AuthError('the Authorization header must be "Bearer <token>"');
    const token = match[1];
    const apiToken = deps.loaded.secrets[deps.loaded.config.global.api_token_env];
    if (apiToken && safeEqual(token, apiToken)) return { kind: 'token' };
    if (scope.followDeployId && scope.project !== undefined && isFollowToken(token)) {
      const { secret } = signingSecret(deps.loaded, scope.project);
      if (secret && verifyFollowToken(secret, scope.followDeployId, token, deps.clock.now())) {
        return { kind: 'follow', deployId: scope.followDeployId };
      }
      throw new AuthError('the follow token is not valid for this deploy or has expired');
    }
    throw new AuthError(
      `the bearer token is not valid: use the value of ${deps.loaded.config.global.api_token_env}`,
    );
  }
  if (c.req.header(SIGNATURE_HEADER) !== undefined && !scope.tokenOnly) {
    if (scope.project === undefined) {
      throw new AuthError(
        'signed requests are accepted only on routes of one project; use the API token here',
      );
    }
    const deliveryId = verifySignedRequest(c, deps, signingSecret(deps.loaded, scope.project).secret, body);
    const now = deps.clock.now();
    forgetExpiredRecords(deps.store, now);
    if (!deps.store.rememberDelivery(deliveryId, now.toISOString())) {
      throw new ConflictError(
        `delivery ${deliveryId} was already used: sign each request with a new delivery id`,
        409,
      );
    }
    return { kind: 'signature', project: scope.project };
  }
  if (scope.session && readSession(c, deps)) return { kind: 'session' };
  const how = scope.tokenOnly ? '' : ' or a signed request';
  throw new AuthError(`this endpoint needs "Authorization: Bearer <token>"${how}`);
}

/** A name for `requestedBy` / `approvedBy` fields. */
export function principalName(principal: Principal): string {
  return principal.kind === 'token'
    ? 'api-token'
    : principal.kind === 'session'
      ? 'dashboard'
      : principal.kind === 'signature'
        ? 'signed-request'
        : 'follow-token';
}
