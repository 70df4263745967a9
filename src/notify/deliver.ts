import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { WebhookRequest } from './formats.js';

/** Pauses before the 2nd, 3rd, ... try: 5 tries over about two minutes. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [5_000, 15_000, 30_000, 60_000];
/** Longest a receiver's Retry-After is honoured. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface DeliverOptions {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  logger: Logger;
  /** Time limit of one try. */
  timeoutMs: number;
  retryDelaysMs: readonly number[];
  /** Aborts waiting and sending (shutdown). */
  signal: AbortSignal;
  /** Names the target in logs, e.g. `global` or `project web`. */
  target: string;
}

/**
 * Where a request went, fit for a log line: scheme and host only. Paths and queries of webhook
 * URLs carry secrets (Discord and Slack tokens, ntfy topics, Gotify ?token=), and so may userinfo.
 */
export function endpointForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Removes from an error message everything secret the request carried: fetch quotes a bad
 * header value (a token with a trailing newline) or an unparsable URL in its messages.
 */
function scrub(message: string, request: WebhookRequest): string {
  let path = '';
  try {
    const url = new URL(request.url);
    path = `${url.pathname}${url.search}`;
  } catch {
    // An unparsable URL is removed whole below.
  }
  const secrets = [request.url, ...Object.values(request.headers), path].filter((value) => value.length >= 4);
  return secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), message);
}

type TryResult = { ok: true } | { ok: false; retry: boolean; reason: string; waitMs?: number };

async function tryOnce(request: WebhookRequest, options: DeliverOptions): Promise<TryResult> {
  let response: Response;
  try {
    response = await options.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason =
      cause === undefined ? errorMessage(error) : `${errorMessage(error)}: ${errorMessage(cause)}`;
    return { ok: false, retry: true, reason: scrub(reason, request) };
  }
  // The body is never read: it is not needed, and an error page could echo what was sent.
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return { ok: true };
  const status = response.status;
  const reason = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfter = Number(response.headers.get('retry-after'));
    const waitMs =
      Number.isFinite(retryAfter) && retryAfter > 0
        ? Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS)
        : undefined;
    return { ok: false, retry: true, reason, ...(waitMs === undefined ? {} : { waitMs }) };
  }
  return { ok: false, retry: false, reason };
}

/**
 * POSTs `request`, retrying network errors, timeouts, 408, 429 and 5xx with growing pauses.
 * Resolves true when delivered, false when given up; never rejects. Failures are logged with
 * the target's name and host, never its full URL, headers or body.
 */
export async function deliver(request: WebhookRequest, options: DeliverOptions): Promise<boolean> {
  const fields = { target: options.target, endpoint: endpointForLog(request.url) };
  const tries = options.retryDelaysMs.length + 1;
  for (let attempt = 1; ; attempt++) {
    const result = await tryOnce(request, options);
    if (result.ok) {
      if (attempt > 1) options.logger.info('notification delivered after retries', { ...fields, attempt });
      return true;
    }
    if (options.signal.aborted) {
      options.logger.warn('notification dropped at shutdown', { ...fields, attempt, reason: result.reason });
      return false;
    }
    if (!result.retry || attempt >= tries) {
      const hint = result.retry
        ? 'the endpoint is down or unreachable'
        : 'the endpoint refused it; check notification_url, notification_format and notification_token_env';
      options.logger.error(
        `notification not delivered after ${attempt} ${attempt === 1 ? 'try' : 'tries'}: ${hint}`,
        {
          ...fields,
          reason: result.reason,
        },
      );
      return false;
    }
    const pause = Math.max(options.retryDelaysMs[attempt - 1] ?? 0, result.waitMs ?? 0);
    options.logger.debug('notification try failed; retrying', {
      ...fields,
      attempt,
      reason: result.reason,
      pause,
    });
    try {
      await options.clock.sleep(pause, options.signal);
    } catch {
      options.logger.warn('notification dropped at shutdown', { ...fields, attempt, reason: result.reason });
      return false;
    }
  }
}
