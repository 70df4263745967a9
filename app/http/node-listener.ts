import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../src/core/errors.js';
import type { Logger } from '../../src/log/logger.js';
import type { HealthAnswer } from '../routes/health.js';
import { sendJson } from './node-answer.js';
import { signatureGate, type NodeListener, type SignatureGateDeps } from './signature-gate.js';

export interface NodeFrontDeps extends SignatureGateDeps {
  /** /healthz's answer (app/routes/health.ts, the same the Hono route gives). */
  health: () => HealthAnswer;
}

/**
 * What node:http calls for each request of the app. Two answers are given here, without the
 * web Request, Response and context the Hono app builds: GET and HEAD /healthz (probed every few
 * seconds by Docker and uptime checks, and during a flood), and the signature gate's refusals.
 * Everything else goes to the Hono app, whose node adapter (@hono/node-server) is loaded on the
 * first such request: it subclasses the web Request and Response when it is imported, which
 * loads Node's fetch implementation, about 16 MB an app that only answers health probes does
 * not need (issue 21).
 */
export function nodeFront(
  deps: NodeFrontDeps,
  loadApp: () => Promise<NodeListener>,
): (incoming: IncomingMessage, outgoing: ServerResponse) => void {
  const gated = signatureGate(deps, lazyListener(loadApp, deps.logger));
  return (incoming, outgoing) => {
    const { method, url } = incoming;
    if ((method === 'GET' || method === 'HEAD') && (url === '/healthz' || url?.startsWith('/healthz?'))) {
      answerHealth(deps, method, outgoing);
      return;
    }
    gated(incoming, outgoing);
  };
}

/** /healthz as the Hono route answers it (JSON; HEAD: the same headers, no body), in the request log too. */
function answerHealth(deps: NodeFrontDeps, method: string, outgoing: ServerResponse): void {
  const started = deps.clock.now().getTime();
  const { status, body } = deps.health();
  sendJson(outgoing, status, body);
  deps.requestLog.record({
    method,
    path: '/healthz',
    status,
    durationMs: deps.clock.now().getTime() - started,
  });
}

/**
 * A listener that loads the real one on its first request (requests arriving meanwhile wait for
 * the same load). A failed load answers 500 and is tried again by the next request.
 */
export function lazyListener(load: () => Promise<NodeListener>, logger: Logger): NodeListener {
  let loaded: NodeListener | undefined;
  let loading: Promise<NodeListener> | undefined;
  return async (incoming, outgoing) => {
    if (loaded) return loaded(incoming, outgoing);
    try {
      loaded ??= await (loading ??= load());
    } catch (error) {
      loading = undefined;
      logger.error('could not load the HTTP app', { error: errorMessage(error) });
      sendJson(outgoing, 500, { error: 'internal error: the HTTP app could not be loaded; see the log' });
      return;
    }
    return loaded(incoming, outgoing);
  };
}
