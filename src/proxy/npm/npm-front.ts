import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import type { BuiltinRouter } from '../builtin/builtin-router.js';
import type { ProxyRouter, RouteTarget } from '../router.js';

/** A stage as the front needs it (a RouteTarget or the settings' stage). */
export interface StageRoute {
  project: string;
  stage: string;
  domain: string;
  healthPath?: string | undefined;
}

/** The container name an NPM host in front of the router names as its target (probe header). */
export const ROUTER_TARGET_NAME = 'docker-watcher-router';

export interface NpmFrontDeps {
  /** The built-in router: every switch, restore and drain happens there, in memory. */
  builtin: BuiltinRouter;
  /** The NPM adapter (its session, token and error handling), with global.npm.forward: router. */
  npm: ProxyRouter;
  /** global.router.port: where NPM's hosts forward (to global.npm.forward_host). */
  routerPort: number;
  logger: Logger;
}

/** The built-in router behind NPM: `ensure` writes a stage's NPM host once; deploys never write to NPM. */
export interface NpmFrontedRouter extends BuiltinRouter {
  /** Makes NPM forward the stage's domain to the router (a host already right costs no write). */
  ensure(stage: StageRoute, signal?: AbortSignal): Promise<void>;
  /** ensure() for every stage, each on its own: a failure is logged and tried again at the stage's next switch. */
  ensureAll(stages: readonly StageRoute[], signal?: AbortSignal): Promise<void>;
}

/**
 * NPM in front of docker-watcher's router (global.npm.forward: router): NPM's proxy host of each
 * stage domain forwards to the router, created or corrected when the stage is first seen (at
 * start-up, or at its first switch), then left alone. A deploy switches in the router's memory
 * only, so nginx is never reloaded during a deploy. Removing a stage removes its host too.
 */
export function createNpmFrontedRouter(deps: NpmFrontDeps): NpmFrontedRouter {
  const { builtin, npm, logger } = deps;
  /** Domains whose NPM host forwards to the router, as this process made sure. */
  const fronted = new Set<string>();
  const frontTarget = (stage: StageRoute): RouteTarget => ({
    project: stage.project,
    stage: stage.stage,
    domain: stage.domain,
    containerName: ROUTER_TARGET_NAME,
    port: deps.routerPort,
    hostPort: deps.routerPort,
    ...(stage.healthPath === undefined ? {} : { healthPath: stage.healthPath }),
  });

  async function ensure(stage: StageRoute, signal?: AbortSignal): Promise<void> {
    const domain = stage.domain.toLowerCase();
    if (fronted.has(domain)) return;
    const target = frontTarget(stage);
    await npm.switchTo(target, signal);
    fronted.add(domain);
    logger.info('NPM proxy host forwards to the built-in router', { domain, routerPort: deps.routerPort });
  }

  return {
    table: builtin.table,
    drain: (containerName, signal) => builtin.drain(containerName, signal),
    restore: (snapshot, signal) => builtin.restore(snapshot, signal),
    confirm: (target, signal) => builtin.confirm(target, signal),
    certificateStatus: (domain) => npm.certificateStatus?.(domain),
    async switchTo(target, signal) {
      // NPM first: when it refuses (token, a hand-made host), the deploy fails before any switch.
      await ensure(target, signal);
      return builtin.switchTo(target, signal);
    },
    async remove(domain, signal) {
      const removed = await builtin.remove(domain, signal);
      fronted.delete(domain.toLowerCase());
      return (await npm.remove(domain, signal)) || removed;
    },
    ensure,
    async ensureAll(stages, signal) {
      await Promise.all(
        stages.map((stage) =>
          ensure(stage, signal).catch((error: unknown) =>
            logger.error(
              'could not point the NPM proxy host at the built-in router; tried again at its next deploy',
              {
                domain: stage.domain,
                error: errorMessage(error),
              },
            ),
          ),
        ),
      );
    },
  };
}
