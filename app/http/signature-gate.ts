import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestSecrets } from '../../src/config/request-secrets.js';
import type { Clock } from '../../src/core/clock.js';
import type { Logger } from '../../src/log/logger.js';
import { errorAnswer } from './error-handler.js';
import { sendJson } from './node-answer.js';
import { HTTPException } from 'hono/http-exception';
import { mediaType, readNodeStream, type ReadIncoming } from './raw-body.js';
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
  function answer(error: unknown, close = false): void {
    const { status, body, headers } = errorAnswer(error, route.path, deps.logger);
    sendJson(outgoing, status, body, { ...headers, ...(close ? { Connection: 'close' } : {}) });
    deps.requestLog.record({
      method: route.method,
      path: route.path,
      status,
      durationMs: deps.clock.now().getTime() - started,
    });
  }
  readNodeStream(incoming, route.limit, (chunk) => check.update(chunk)).then(
    (chunks) => {
      const result = check.finish();
      if (!result.ok) return answer(signatureRefusal(result.reason));
      incoming.rawBody = Buffer.concat(chunks);
      void app(incoming, outgoing);
    },
    // The rest of a body past the limit is not read: the connection cannot carry another request.
    (error: unknown) => answer(error, error instanceof HTTPException && error.status === 413),
  );
}

/** A header as the app reads it (repeated ones joined, as the web Headers join them). */
function headerOf(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
