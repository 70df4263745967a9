import type { Hono } from 'hono';
import { ValidationError } from '../../src/core/errors.js';
import { intakeDeploy } from '../../src/deploy/intake.js';
import { deployRequestSchema, toDeploySource, zodIssues } from '../../src/protocol/deploy-request.js';
import { createFollowToken } from '../../src/protocol/follow-token.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { signingSecret, verifySignedRequest } from '../http/auth.js';
import { acceptedBody } from '../http/deploy-views.js';
import { DELIVERY_MEMORY_MS, forgetExpiredRecords } from '../http/expiring-records.js';
import { parseJsonBody, readRawBody, requireJson } from '../http/raw-body.js';

const DELIVERY_STATE = 'delivery-deploy:';

/** The project a body names, read only to pick the secret to verify with. */
function candidateProject(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as unknown;
    const project = (parsed as { project?: unknown } | null)?.project;
    return typeof project === 'string' ? project : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST /api/deploys: a signed deploy request from CI. The secret is the one of the project the
 * body names (its own, or the global one when it has none), so a project with its own secret
 * can only be deployed with it; nothing in the body is trusted until that check passed.
 */
export function registerDeployRequests(app: Hono<AppEnv>, deps: AppDeps): void {
  app.post('/api/deploys', async (c) => {
    requireJson(c);
    const raw = await readRawBody(c);
    const candidate = candidateProject(raw);
    const deliveryId = verifySignedRequest(c, deps, signingSecret(deps.loaded, candidate).secret, raw);

    const now = deps.clock.now();
    forgetExpiredRecords(deps.store, now);
    if (!deps.store.rememberDelivery(deliveryId, now.toISOString())) {
      const earlierId = deps.store.getState(DELIVERY_STATE + deliveryId);
      const earlier = earlierId === undefined ? undefined : deps.store.getDeploy(earlierId);
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

    const record = intakeDeploy(deps.loaded.config, deps.deploys, {
      project: request.project,
      ...(request.stage ? { stage: request.stage } : {}),
      image: request.image,
      tag: request.tag,
      ...(request.digest ? { digest: request.digest } : {}),
      trigger: 'ci',
      source: toDeploySource(request.source),
      ...(request.source.actor ? { requestedBy: request.source.actor } : {}),
    });
    const stage = record.stage;
    // Which deploy a delivery started, for the answer to a replay; needed as long as the id is.
    deps.store.setState(DELIVERY_STATE + deliveryId, record.id, {
      expiresAt: new Date(now.getTime() + DELIVERY_MEMORY_MS).toISOString(),
    });
    c.set('logFields', { deployId: record.id, project: request.project, stage });

    const { secret } = signingSecret(deps.loaded, request.project);
    const ttl = deps.followTokenTtlMs ?? 2 * 3600_000;
    const followToken = secret
      ? createFollowToken(secret, record.id, new Date(now.getTime() + ttl))
      : undefined;
    return c.json(acceptedBody(c, deps, record, followToken), 202);
  });
}
