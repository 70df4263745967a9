import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { findProject, findStage } from '../../src/config/config-lookup.js';
import { AuthError, ConflictError } from '../../src/core/errors.js';
import { decide, type Action, type Decision, type PrincipalKind } from '../../src/core/permissions.js';
import { stageNeedsApproval } from '../../src/deploy/deploy-policy.js';
import { isFollowToken, verifyFollowToken } from '../../src/protocol/follow-token.js';
import { MAX_SKEW_SECONDS, SIGNATURE_HEADER } from '../../src/protocol/signature.js';
import { readSession } from '../dashboard/session-cookie.js';
import type { AppDeps } from './app-env.js';
import { DELIVERY_MEMORY_MS, forgetExpiredRecords } from './expiring-records.js';
import { verifySignedRequest } from './signed-request.js';

const EMPTY_BODY = new Uint8Array(0);
/** Default lifetime of a follow token, and the most the app accepts (plus the clock skew). */
export const FOLLOW_TOKEN_TTL_MS = 2 * 3600_000;

/** Who made a request (see src/core/permissions.ts for what each kind may do). */
export type Principal =
  | { kind: 'operator'; via: 'token' | 'session' }
  | { kind: 'ci'; via: 'signature'; project: string }
  | { kind: 'ci'; via: 'follow'; project: string; deployId: string };

/** A principal let through for an action, with what the permission table decided. */
export type Authorized = Principal & { decision: Decision };

/** Compares two strings in constant time (over their SHA-256, so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export interface AuthScope {
  /** What the request asks for; the permission table decides who may. */
  action: Action;
  /** The project the route acts on; signed requests are accepted only when there is one. */
  project?: string;
  /** The stage the route acts on (its policy matters for `ci`). */
  stage?: string;
  /** The deploy whose follow token is accepted (its two read routes); `project` is its project. */
  followDeployId?: string;
  /** Also accept the dashboard's session cookie (read routes its pages call, e.g. the SSE log). */
  session?: boolean;
}

function throttled(c: Context, deps: AppDeps, client: string): void {
  const waitMs = deps.throttle.retryAfterMs(client, deps.clock.now());
  if (waitMs <= 0) return;
  c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
  throw new HTTPException(429, {
    message: `too many wrong tokens from ${client}: try again in ${Math.ceil(waitMs / 60_000)} min`,
  });
}

function bearerPrincipal(c: Context, deps: AppDeps, scope: AuthScope, header: string): Principal {
  const client = deps.clientOf(c);
  throttled(c, deps, client);
  const refuse = (message: string): never => {
    deps.throttle.failed(client, deps.clock.now());
    deps.logger.warn('API token refused', { client });
    throw new AuthError(message);
  };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return refuse('the Authorization header must be "Bearer <token>"');
  const token = match[1];
  const apiToken = deps.secrets.apiToken;
  if (apiToken.value && safeEqual(token, apiToken.value)) {
    deps.throttle.succeeded(client);
    return { kind: 'operator', via: 'token' };
  }
  const deployId = scope.followDeployId;
  if (deployId !== undefined && scope.project !== undefined && isFollowToken(token)) {
    const secret = deps.secrets.signing(scope.project).value;
    const maxTtl = (deps.followTokenTtlMs ?? FOLLOW_TOKEN_TTL_MS) + MAX_SKEW_SECONDS * 1000;
    if (secret && verifyFollowToken(secret, deployId, token, deps.clock.now(), maxTtl)) {
      return { kind: 'ci', via: 'follow', project: scope.project, deployId };
    }
    return refuse('the follow token is not valid for this deploy or has expired');
  }
  return refuse(`the bearer token is not valid: use the value of ${apiToken.env}`);
}

function signaturePrincipal(c: Context, deps: AppDeps, scope: AuthScope, body: Uint8Array): Principal {
  if (scope.project === undefined) {
    throw new AuthError('signed requests are accepted only on routes of one project; use the API token here');
  }
  const { deliveryId, key } = verifySignedRequest(c, deps, body);
  if (key !== scope.project) {
    throw new AuthError(
      `this request is signed for project "${key}", not "${scope.project}": sign with key=${scope.project} and that project's secret`,
    );
  }
  const now = deps.clock.now();
  forgetExpiredRecords(deps.store, now);
  if (!deps.store.claimOnce('delivery', deliveryId, DELIVERY_MEMORY_MS, now)) {
    throw new ConflictError(
      `delivery ${deliveryId} was already used: sign each request with a new delivery id`,
      409,
    );
  }
  return { kind: 'ci', via: 'signature', project: key };
}

/** Who sent the request: API token, follow token, signature or session; 401 (429 when locked out) otherwise. */
function authenticate(c: Context, deps: AppDeps, scope: AuthScope, body: Uint8Array): Principal {
  const header = c.req.header('authorization');
  if (header !== undefined) return bearerPrincipal(c, deps, scope, header);
  if (c.req.header(SIGNATURE_HEADER) !== undefined) return signaturePrincipal(c, deps, scope, body);
  if (scope.session && readSession(c, deps)) return { kind: 'operator', via: 'session' };
  throw new AuthError('this endpoint needs "Authorization: Bearer <token>" or a signed request');
}

/**
 * The one gate of the API: authenticates the caller first (so an unauthenticated caller learns
 * nothing about projects or stages: 401 before 404), then looks up the project and stage (404),
 * then asks the permission table whether this principal may do `scope.action` there (403).
 */
export function authorize(
  c: Context,
  deps: AppDeps,
  scope: AuthScope,
  body: Uint8Array = EMPTY_BODY,
): Authorized {
  const principal = authenticate(c, deps, scope, body);
  let needsApproval = false;
  if (scope.project !== undefined && scope.stage !== undefined) {
    needsApproval = stageNeedsApproval(findStage(deps.loaded.config, scope.project, scope.stage).stageConfig);
  } else if (scope.project !== undefined && scope.followDeployId === undefined) {
    findProject(deps.loaded.config, scope.project);
  }
  const kind: PrincipalKind = principal.kind;
  return { ...principal, decision: decide(kind, scope.action, needsApproval) };
}

/** A name for `requestedBy` / `approvedBy` fields. */
export function principalName(principal: Principal): string {
  if (principal.kind === 'operator') return principal.via === 'token' ? 'api-token' : 'dashboard';
  return principal.via === 'signature' ? 'signed-request' : 'follow-token';
}
