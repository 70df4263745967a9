import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestSecrets } from '../../src/config/request-secrets.js';
import type { Clock } from '../../src/core/clock.js';
import type { Logger } from '../../src/log/logger.js';
import { errorAnswer } from './error-handler.js';
import { mediaType, tooLarge, type ReadIncoming } from './raw-body.js';
import type { RequestLog } from './request-log.js';
import type { SignatureCheck } from '../../src/protocol/signature.js';
import { beginSignedCheck, signatureRefusal } from './signed-request.js';

/** A signed JSON route of the app (its route module exports it), with its body limit. */
export interface GatedRoute {
  method: string;
  path: string;
  limit: number;
}

export interface SignatureGateDeps {
  routes: readonly GatedRoute[];
  secrets: RequestSecrets;
  clock: Clock;
  logger: Logger;
  requestLog: RequestLog;
}

/** A node:http request listener (@hono/node-server's answers errors itself: its promise never rejects). */
export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void | Promise<void>;

/**
 * In front of the Hono app on Node: a request to one of `routes` has its signature checked over
 * its body as the body arrives, and a bad one is refused here, with the answer the app would
 * give (errorAnswer, the same request log), without the web Request, Response and context the
 * app builds for each request: most of what a refused request cost in a flood of them (issue 21).
 * The gate decides only refusals it is sure of. Anything else goes to the app, which stays the
 * authority: another path or query string, a body that is not JSON or declares too many bytes
 * (the app answers 415 and 413 in its own order), and a valid signature, whose body the app gets
 * as `rawBody` and verifies again (with the replay check and everything after it).
 */
export function signatureGate(
  deps: SignatureGateDeps,
  app: NodeListener,
): (incoming: IncomingMessage, outgoing: ServerResponse) => void {
  const routes = new Map(deps.routes.map((route) => [`${route.method} ${route.path}`, route]));
  return (incoming: ReadIncoming, outgoing) => {
    const route = routes.get(`${incoming.method} ${incoming.url}`);
    if (
      !route ||
      mediaType(headerOf(incoming, 'content-type')) !== 'application/json' ||
      Number(incoming.headers['content-length']) > route.limit
    ) {
      void app(incoming, outgoing);
      return;
    }
    readAndVerify(deps, route, incoming, outgoing, app);
  };
}

/** The gate for one request of `route`: refuses it, or hands it to `app` with its body read. */
function readAndVerify(
  deps: SignatureGateDeps,
  route: GatedRoute,
  incoming: ReadIncoming,
  outgoing: ServerResponse,
  app: NodeListener,
): void {
  const started = deps.clock.now().getTime();
  let check: SignatureCheck;
  try {
    check = beginSignedCheck(deps, {
      method: route.method,
      path: route.path,
      header: (name) => headerOf(incoming, name),
    });
  } catch (error) {
    answer(error);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  function stop(): void {
    incoming.off('data', onData);
    incoming.off('end', onEnd);
    incoming.off('error', onError);
    incoming.off('aborted', onAborted);
  }
  function answer(error: unknown, close = false): void {
    const { status, body, headers } = errorAnswer(error, route.path, deps.logger);
    const text = JSON.stringify(body);
    outgoing.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
      // The rest of a body past the limit is not read: the connection cannot carry another request.
      ...(close ? { Connection: 'close' } : {}),
    });
    outgoing.end(text);
    deps.requestLog.record({
      method: route.method,
      path: route.path,
      status,
      durationMs: deps.clock.now().getTime() - started,
    });
  }
  const onData = (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size > route.limit) {
      stop();
      incoming.pause();
      answer(tooLarge(route.limit), true);
      return;
    }
    chunks.push(chunk);
    check.update(chunk);
  };
  const onEnd = () => {
    stop();
    const result = check.finish();
    if (!result.ok) {
      answer(signatureRefusal(result.reason));
      return;
    }
    incoming.rawBody = Buffer.concat(chunks);
    void app(incoming, outgoing);
  };
  const onError = (error: Error) => {
    stop();
    answer(error);
  };
  const onAborted = () =>
    onError(new Error('the client closed the connection before sending the whole body'));
  incoming.on('data', onData);
  incoming.on('end', onEnd);
  incoming.on('error', onError);
  incoming.on('aborted', onAborted);
}

/** A header as the app reads it (repeated ones joined, as the web Headers join them). */
function headerOf(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
