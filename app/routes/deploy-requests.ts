import type { Hono } from 'hono';
import { AuthError, ValidationError } from '../../src/core/errors.js';
import { intakeDeploy } from '../../src/deploy/intake.js';
import { previewOfRequest } from '../../src/previews/preview-request.js';
import { deployRequestSchema, toDeploySource, zodIssues } from '../../src/protocol/deploy-request.js';
import { createFollowToken } from '../../src/protocol/follow-token.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { FOLLOW_TOKEN_TTL_MS } from '../http/auth.js';
import { readSignedRequest } from '../http/signed-request.js';
import { acceptedBody } from '../http/deploy-views.js';
import { DELIVERY_MEMORY_MS, forgetExpiredRecords } from '../http/expiring-records.js';
import { MAX_BODY_BYTES, parseJsonBody, requireJson } from '../http/raw-body.js';

/** The signed route of deploy requests, which the signature gate in front of the app knows too. */
export const DEPLOY_REQUEST_ROUTE = { method: 'POST', path: '/api/deploys', limit: MAX_BODY_BYTES } as const;

/**
 * POST /api/deploys: a signed deploy request from CI. The secret is the one of the project the
 * signature header names (its own, or the global one when it has none), and the body must name
 * that same project, so a project with its own secret can only be deployed with it. The body is
 * parsed only after the signature is valid.
 */
export function registerDeployRequests(app: Hono<AppEnv>, deps: AppDeps): void {
  app.post(DEPLOY_REQUEST_ROUTE.path, async (c) => {
    requireJson(c);
    const { body: raw, deliveryId, key } = await readSignedRequest(c, deps, DEPLOY_REQUEST_ROUTE.limit);

    const now = deps.clock.now();
    forgetExpiredRecords(deps.store, now);
    if (!deps.store.claimOnce('delivery', deliveryId, DELIVERY_MEMORY_MS, now)) {
      const earlierId = deps.store.claimed('delivery', deliveryId, now);
      const earlier = earlierId ? deps.store.getDeploy(earlierId) : undefined;
      const message = `delivery ${deliveryId} was already received: each request needs a new delivery id`;
      const error = {
        code: 'replayed_delivery',
        message,
        ...(earlier ? { deploy: acceptedBody(c, deps, earlier) } : {}),
      };
      return c.json({ error }, 409);
    }

    const parsed = deployRequestSchema.safeParse(parseJsonBody(raw));
    if (!parsed.success) throw new ValidationError('the deploy request is invalid', zodIssues(parsed.error));
    const request = parsed.data;
    c.set('logFields', { project: request.project });
    if (request.project !== key) {
      throw new AuthError(
        `the request is signed for project "${key}" but asks for "${request.project}": sign with key=${request.project} and that project's secret`,
      );
    }

    // A PR's CI request goes to its preview when the project has previews: the PR must be open.
    const preview = deps.previews ? previewOfRequest(deps.loaded.config, request) : undefined;
    if (preview) {
      await deps.previews!.admit(
        request.project,
        preview.pr,
        request.source ? toDeploySource(request.source) : undefined,
      );
    }
    const stageAsked = preview?.stage ?? request.stage;
    const record = intakeDeploy(deps.loaded.config, deps.deployer, {
      project: request.project,
      ...(stageAsked ? { stage: stageAsked } : {}),
      ...(request.image ? { image: request.image } : {}),
      tag: request.tag,
      ...(request.digest ? { digest: request.digest } : {}),
      trigger: 'ci',
      ...(request.source ? { source: toDeploySource(request.source) } : {}),
      ...(request.source?.actor ? { requestedBy: request.source.actor } : {}),
    });
    const stage = record.stage;
    // Which deploy a delivery started, for the answer to a replay; kept as long as the claim.
    deps.store.setClaimValue('delivery', deliveryId, record.id);
    c.set('logFields', { deployId: record.id, project: request.project, stage });

    const secret = deps.secrets.signing(request.project).value;
    const ttl = deps.followTokenTtlMs ?? FOLLOW_TOKEN_TTL_MS;
    const followToken = secret
      ? createFollowToken(secret, record.id, new Date(now.getTime() + ttl))
      : undefined;
    return c.json(acceptedBody(c, deps, record, followToken), 202);
  });
}
