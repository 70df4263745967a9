import type { RouterConfig } from '../../config/schema.js';
import { FINAL_STATUSES } from '../../core/deploy-types.js';
import type { DeployObserver } from '../../deploy/deploy-observer.js';
import type { Reach } from '../../deploy/probe-url.js';
import type { Logger } from '../../log/logger.js';
import { trustedProxies } from '../../net/client-address.js';
import { createBuiltinRouter, type BuiltinRouter } from './builtin-router.js';
import { RequestHold } from './request-hold.js';
import { startRouterServer } from './router-server.js';

export interface BuiltinRouterDeps {
  config: RouterConfig;
  reach: Reach;
  publishHost: string;
  /** global.trusted_proxies: whose X-Forwarded-* the router keeps. */
  trustedProxies: readonly string[];
  /** Every configured stage's domain, so a request for one with nothing live names the stage. */
  stages: readonly { project: string; stage: string; domain: string }[];
  logger: Logger;
}

export interface RunningBuiltinRouter {
  router: BuiltinRouter;
  /** http://host:port the router listens on. */
  url: string;
  /** The live routes are restored (after start-up): requests for a stage without one get "no live version". */
  markReady(): void;
  /** Follows the deploys: a request for a stage without a route waits while one of its deploys runs. */
  observer: DeployObserver;
  /** How many requests wait for a route now (bounded by global.router.hold_max_requests). */
  held(): number;
  close(): Promise<void>;
}

/** Builds the built-in router and starts its listener: called by the composition root only. */
export async function startBuiltinRouter(deps: BuiltinRouterDeps): Promise<RunningBuiltinRouter> {
  const { config } = deps;
  const router = createBuiltinRouter({
    reach: deps.reach,
    publishHost: deps.publishHost,
    drainTimeoutMs: config.drain_timeout_seconds * 1000,
  });
  const stageOf = new Map(deps.stages.map((s) => [s.domain.toLowerCase(), `${s.project}/${s.stage}`]));
  let ready = false;
  /** Stages ("project/stage") with a deploy running: a route may come for them. */
  const deploying = new Set<string>();
  const hold = new RequestHold({
    holdMs: config.hold_seconds * 1000,
    maxHeld: config.hold_max_requests,
    policy: {
      shouldWait(domain) {
        const stage = stageOf.get(domain);
        return stage !== undefined && !router.table.get(domain) && (!ready || deploying.has(stage));
      },
    },
  });
  router.table.onSet = (domain) => hold.recheck(domain);
  const server = await startRouterServer({
    host: config.host,
    port: config.port,
    table: router.table,
    stageOf: (domain) => stageOf.get(domain),
    ready: () => ready,
    hold,
    trusted: trustedProxies(deps.trustedProxies),
    upstreamTimeoutMs: config.upstream_timeout_seconds * 1000,
    logger: deps.logger,
  });
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    router,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`,
    markReady: () => {
      ready = true;
      hold.recheck();
    },
    observer: {
      onDeployEvent(event, record) {
        if (event.type !== 'status' || !event.status) return;
        const stage = `${record.project}/${record.stage}`;
        if (event.status === 'running') deploying.add(stage);
        else if (FINAL_STATUSES.includes(event.status)) {
          deploying.delete(stage);
          hold.recheck();
        }
      },
    },
    held: () => hold.size,
    close: () => server.close(),
  };
}
