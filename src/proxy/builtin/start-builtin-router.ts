import type { RouterConfig } from '../../config/schema.js';
import type { Reach } from '../../deploy/probe-url.js';
import type { Logger } from '../../log/logger.js';
import { trustedProxies } from '../../net/client-address.js';
import { createBuiltinRouter, type BuiltinRouter } from './builtin-router.js';
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
  const server = await startRouterServer({
    host: config.host,
    port: config.port,
    table: router.table,
    stageOf: (domain) => stageOf.get(domain),
    ready: () => ready,
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
    },
    close: () => server.close(),
  };
}
