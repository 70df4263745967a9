import type { Context, Hono } from 'hono';
import { AuthError, ValidationError } from '../../src/core/errors.js';
import type { ForgeKind } from '../../src/forge/forge.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { createBackgroundTasks, type BackgroundTasks } from '../http/background-tasks.js';
import { DELIVERY_MEMORY_MS, forgetExpiredRecords } from '../http/expiring-records.js';
import { parseJsonBody, readRawBody, requireJson } from '../http/raw-body.js';
import { readPullRequestClosed, readRegistryPush } from '../http/webhook-payloads.js';
import { signingForges } from '../http/webhook-signature.js';
import { handleIssueComment } from './webhook-comments.js';
import { handleCheckRun, handleInstallation } from './webhook-github-app.js';

/** Forges send whole PR and issue objects; GitHub caps deliveries at 25 MB, comments are far smaller. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const REGISTRY_EVENT: Record<ForgeKind, string> = { github: 'registry_package', gitea: 'package' };

function header(c: Context, kind: ForgeKind, name: 'Event' | 'Delivery'): string | undefined {
  return (
    (kind === 'gitea' ? c.req.header(`x-gitea-${name.toLowerCase()}`) : undefined) ??
    c.req.header(`x-github-${name.toLowerCase()}`)
  );
}

async function receive(
  c: Context<AppEnv>,
  deps: AppDeps,
  tasks: BackgroundTasks,
  kind: ForgeKind,
): Promise<Response> {
  const raw = await readRawBody(c, WEBHOOK_BODY_LIMIT);
  const { forges, missing } = deps.secrets.webhooks(kind);
  if (forges.length === 0) {
    const what =
      missing.length > 0 ? missing.join(', ') : `a forges entry with type: ${kind} and webhook_secret_env`;
    throw new AuthError(`${kind} webhooks are refused: no ${kind} forge has a webhook secret; set ${what}`);
  }
  const signed = await signingForges(forges, raw, {
    hubSignature256: c.req.header('x-hub-signature-256'),
    giteaSignature: kind === 'gitea' ? c.req.header('x-gitea-signature') : undefined,
  });
  if (signed.length === 0) {
    throw new AuthError(
      `the ${kind} webhook signature is missing or wrong; give the webhook the secret held in the forge's webhook_secret_env`,
    );
  }
  requireJson(c);
  const delivery = header(c, kind, 'Delivery');
  const event = header(c, kind, 'Event');
  if (!delivery || !event) {
    throw new ValidationError(
      `the ${kind} webhook lacks its event or delivery header (X-GitHub-Event, X-GitHub-Delivery)`,
    );
  }
  const now = deps.clock.now();
  forgetExpiredRecords(deps.store, now);
  if (!deps.store.claimOnce('delivery', `${kind}-webhook:${delivery}`, DELIVERY_MEMORY_MS, now)) {
    return c.json({ ignored: 'duplicate', delivery }, 200);
  }
  const payload = parseJsonBody(raw);

  if (event === 'issue_comment') return handleIssueComment(c, deps, tasks, kind, signed, payload);
  if (event === 'ping') return c.json({ ok: true, event }, 200);
  if (kind === 'github' && event === 'check_run')
    return handleCheckRun(c, deps, tasks, signed, payload, delivery);
  if (kind === 'github' && (event === 'installation' || event === 'installation_repositories'))
    return handleInstallation(c, deps, signed, event, payload);
  if (event === 'pull_request') {
    const closed = readPullRequestClosed(payload);
    if (!closed || !deps.previews) return c.json({ ignored: 'pull_request' }, 202);
    // Removal waits for the stage queue; the forge gets its answer at once.
    const previews = deps.previews;
    tasks.add(
      previews.pullClosed(closed.repository, closed.pr).catch((error: unknown) => {
        deps.logger.error('preview removal after PR close failed', { pr: closed.pr, error });
      }),
    );
    return c.json({ accepted: 'pull_request_closed', pr: closed.pr }, 202);
  }
  if (event === REGISTRY_EVENT[kind]) {
    const push = readRegistryPush(kind, payload, signed[0]?.url);
    if (push && deps.onRegistryPush) {
      try {
        deps.onRegistryPush(push);
      } catch (error) {
        deps.logger.error('registry push handler failed', { kind, image: push.image, error });
      }
    }
    return c.json(push ? { accepted: 'registry_push', image: push.image } : { ignored: 'payload' }, 202);
  }
  return c.json({ ignored: 'event', event }, 202);
}

/**
 * POST /api/webhook/github and /api/webhook/gitea: forge webhooks, verified over the raw bytes
 * with the forge's webhook secret before anything is parsed, each delivery id taken once.
 * PR comments carry commands (src/comment-commands/); registry pushes go to `onRegistryPush`.
 */
export function registerWebhooks(app: Hono<AppEnv>, deps: AppDeps): void {
  const tasks = deps.tasks ?? createBackgroundTasks();
  app.post('/api/webhook/github', (c) => receive(c, deps, tasks, 'github'));
  app.post('/api/webhook/gitea', (c) => receive(c, deps, tasks, 'gitea'));
}
