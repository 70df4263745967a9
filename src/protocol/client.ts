import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { DeployAccepted, DeployRequest } from './deploy-request.js';
import { createFollowToken } from './follow-token.js';
import { signRequest } from './signature.js';

/** How a client retries network errors and 5xx answers: exponential backoff from `baseDelayMs`. */
export interface RetryOptions {
  retries?: number;
  baseDelayMs?: number;
  /** Upper bound of one pause between tries (default: unbounded doubling). */
  maxDelayMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told about each retry, e.g. to print it into the job log. */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export interface SendOptions extends RetryOptions {
  now?: () => Date;
  deliveryId?: string;
  signal?: AbortSignal;
  /** How long the follow token derived on the client side stays valid. */
  followTokenTtlMs?: number;
}

/** The app answered with an error, or could not be reached at all (`status` undefined). */
export class DeployRequestError extends Error {
  override name = 'DeployRequestError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), {
      once: true,
    });
  });

/** Runs `attempt` until it returns, retrying what it marks retryable with exponential backoff. */
export async function withRetries<T>(
  options: RetryOptions & { signal?: AbortSignal | undefined },
  attempt: (tryNumber: number) => Promise<{ done: true; value: T } | { done: false; reason: string }>,
): Promise<T> {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 1000;
  const sleep = options.sleep ?? defaultSleep;
  for (let tryNumber = 1; ; tryNumber++) {
    const result = await attempt(tryNumber);
    if (result.done) return result.value;
    if (tryNumber > retries) {
      throw new DeployRequestError(`${result.reason} (gave up after ${tryNumber} tries)`);
    }
    const delay = Math.min(base * 2 ** (tryNumber - 1), options.maxDelayMs ?? Infinity);
    options.onRetry?.(tryNumber, result.reason, delay);
    await sleep(delay, options.signal);
  }
}

/** A message for a failed connection that names the URL and the cause, not a stack. */
export function networkReason(url: string, error: unknown): string {
  const cause = error instanceof Error ? ((error.cause as Error | undefined) ?? error) : undefined;
  const code = (cause as { code?: string } | undefined)?.code;
  const message = cause?.message ?? String(error);
  const detail = code && !message.includes(code) ? `${code} ${message}` : message;
  return `could not reach docker-watcher at ${url}: ${detail}`;
}

/** Reads the app's `{error: {code, message, issues}}` body into a DeployRequestError. */
export function appError(status: number, body: unknown, what: string): DeployRequestError {
  const error = (
    body as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } }
  )?.error;
  const message = error?.message ?? `HTTP ${status}`;
  return new DeployRequestError(
    `${what} was refused (HTTP ${status}): ${message}`,
    status,
    error?.code,
    error?.issues,
  );
}

async function readJson(body: { text(): Promise<string> }): Promise<unknown> {
  const text = await body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}

/**
 * Sends a signed deploy request. Network errors and 5xx answers are retried with the same
 * delivery id and a fresh signature; if an earlier try did reach the app, its answer to the
 * retry (409 with the deploy) counts as accepted.
 */
export async function sendDeployRequest(
  appUrl: string,
  secret: string,
  deployRequest: DeployRequest,
  options: SendOptions = {},
): Promise<DeployAccepted> {
  const target = new URL('api/deploys', appUrl.endsWith('/') ? appUrl : appUrl + '/');
  const url = target.toString();
  const route = { method: 'POST', path: target.pathname + target.search, key: deployRequest.project };
  const body = JSON.stringify(deployRequest);
  const deliveryId = options.deliveryId ?? randomUUID();
  const now = options.now ?? (() => new Date());
  return withRetries(options, async (tryNumber) => {
    let response;
    try {
      response = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signRequest(secret, body, { ...route, now: now(), deliveryId }),
        },
        body,
        ...(options.signal ? { signal: options.signal } : {}),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return { done: false, reason: networkReason(url, error) };
    }
    const json = await readJson(response.body);
    if (response.statusCode === 202) return { done: true, value: json as DeployAccepted };
    if (response.statusCode >= 500)
      return { done: false, reason: `docker-watcher answered HTTP ${response.statusCode}` };
    const earlier = (json as { error?: { deploy?: DeployAccepted } }).error?.deploy;
    if (response.statusCode === 409 && tryNumber > 1 && earlier) {
      const ttl = options.followTokenTtlMs ?? 2 * 3600_000;
      return {
        done: true,
        value: {
          ...earlier,
          followToken: createFollowToken(secret, earlier.id, new Date(now().getTime() + ttl)),
        },
      };
    }
    throw appError(response.statusCode, json, 'the deploy request');
  });
}
