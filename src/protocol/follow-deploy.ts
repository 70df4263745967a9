import { request } from 'undici';
import type { DeployEvent, DeployRecord } from '../core/deploy-types.js';
import { appError, networkReason, withRetries, type RetryOptions } from './client.js';
import { SseParser } from './sse-parser.js';

/** Bearer credential for reading a deploy: the API token or the deploy's follow token. */
export interface FollowAuth {
  token: string;
}

/** How a follower retries: by default long enough for the app to restart (about 95 s). */
export interface FollowOptions extends RetryOptions {
  /** Told when a stream opens again after a drop, with the last event seen before it. */
  onResumed?: (lastSeq: number) => void;
}

const FOLLOW_RETRIES = { retries: 12, maxDelayMs: 10_000 };

/** What a follower prints when the stream dropped (the app restarting, a proxy timeout). */
export function reconnectingMessage(reason: string, delayMs: number): string {
  return `lost the event stream (${reason}); the app may be restarting: reconnecting in ${delayMs / 1000} s`;
}

/**
 * Follows a deploy's event stream until the app sends `end` with the final record, and returns
 * that record. A dropped connection is resumed with Last-Event-ID, so no event is shown twice.
 * Aborting `signal` (e.g. the action's timeout) rejects with the signal's reason.
 */
export async function followDeploy(
  appUrl: string,
  deployId: string,
  auth: FollowAuth,
  onEvent: (event: DeployEvent) => void,
  signal?: AbortSignal,
  options: FollowOptions = {},
): Promise<DeployRecord> {
  const base = appUrl.endsWith('/') ? appUrl : appUrl + '/';
  const url = new URL(`api/deploys/${encodeURIComponent(deployId)}/events`, base).toString();
  let lastSeq = 0;
  return withRetries({ ...FOLLOW_RETRIES, ...options, signal }, async (tryNumber) => {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      authorization: `Bearer ${auth.token}`,
    };
    if (lastSeq > 0) headers['last-event-id'] = String(lastSeq);
    let response;
    try {
      response = await request(url, {
        method: 'GET',
        headers,
        ...(signal ? { signal } : {}),
        headersTimeout: 30_000,
        bodyTimeout: 90_000,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return { done: false, reason: networkReason(url, error) };
    }
    if (response.statusCode >= 500) {
      await response.body.dump();
      return { done: false, reason: `docker-watcher answered HTTP ${response.statusCode} to ${url}` };
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = { error: { message: text.slice(0, 200) } };
      }
      throw appError(response.statusCode, json, 'following the deploy');
    }
    if (tryNumber > 1) options.onResumed?.(lastSeq);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        for (const message of parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) {
          if (message.event === 'end') return { done: true, value: JSON.parse(message.data) as DeployRecord };
          if (message.event !== 'message') continue;
          const event = JSON.parse(message.data) as DeployEvent;
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return { done: false, reason: networkReason(url, error) };
    }
    return {
      done: false,
      reason: `the event stream of deploy ${deployId} closed before the deploy finished`,
    };
  });
}
