import { FINAL_STATUSES, type LiveVersion } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import type { ContainerDetails } from '../docker/engine.js';
import type { DeployObserver } from './deploy-observer.js';
import type { EngineDeps } from './engine-deps.js';
import { stageRouteTarget } from './route-target.js';
import type { StageQueue } from './stage-queue.js';

/** Pause before watching the engine again after its event stream broke (e.g. dockerd restarted). */
const RETRY_MS = [500, 1000, 2000, 5000] as const;

export interface RouteKeeper extends DeployObserver {
  /** Re-applies every live route now, then follows the engine until stopped. */
  start(): void;
  stop(): Promise<void>;
  /** One pass over the live versions (also what start and every reconnect do). */
  repairAll(signal?: AbortSignal): Promise<void>;
  /**
   * Asks the router about every live route, even one the keeper routed itself: what the proxy
   * lost (a host deleted, NPM's database reset) comes back. A route already right costs no write.
   */
  checkAll(signal?: AbortSignal): Promise<void>;
}

export interface RouteKeeperOptions {
  /** Pause between two checkAll passes while started; default 30 s; 0 turns them off. */
  checkIntervalMs?: number;
}

/** What the route keeper works with: the engine, and the stages' queues it repairs in. */
export interface RouteKeeperDeps extends EngineDeps {
  /** The deployer's stage queues: a repair is a chore of its stage, never beside a deploy of it. */
  stages: StageQueue;
}

/**
 * Keeps each stage's proxy route on its live container between deploys. A container can come
 * back on another published port when the Docker engine restarts it (engine upgrade, reboot):
 * with NPM reaching containers by host port, the route would then point at nothing. The keeper
 * follows the engine's events (re-connecting after the engine went away) and re-points a route
 * when the live container's port changed. Each repair runs as a chore of the stage's queue, the
 * one writer of a stage's route: it waits for a deploy of the stage to end and a deploy waits
 * for it, and it reads the live version only once its turn came.
 */
export function createRouteKeeper(deps: RouteKeeperDeps, options: RouteKeeperOptions = {}): RouteKeeper {
  const { docker, store, router, logger, clock, stages } = deps;
  const checkIntervalMs = options.checkIntervalMs ?? 30_000;
  // Where each stage's route points: the published port, and its node when that is not this host.
  const routedPort = new Map<string, string | undefined>();
  const upstream = (container: ContainerDetails | undefined) =>
    container?.hostPort === undefined ? undefined : `${container.hostAddress ?? ''}:${container.hostPort}`;
  const stageKey = (project: string, stage: string) => `${project}/${stage}`;
  const key = (live: LiveVersion) => stageKey(live.project, live.stage);
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let checks: Promise<void> | undefined;

  async function repair(
    stage: { project: string; stage: string },
    outer?: AbortSignal,
    force = false,
  ): Promise<void> {
    const where = stageKey(stage.project, stage.stage);
    const chore = `${force ? 'route-check' : 'route-repair'}:${where}`;
    const turn = stages.exclusive(where, chore, async (own) => {
      if (outer?.aborted) return;
      const signal = outer ? AbortSignal.any([outer, own]) : own;
      // Read in its turn: a deploy that ran before it may have changed what is live.
      const live = store.getLive(stage.project, stage.stage);
      if (!live || !deps.settings.hasStage(live.project, live.stage)) return;
      await repairStage(live, signal, force);
    });
    // Stopping the keeper does not wait for a turn behind a long deploy: the chore then does nothing.
    await (outer ? Promise.race([turn, aborted(outer)]) : turn);
  }

  async function repairStage(live: LiveVersion, signal: AbortSignal, force: boolean): Promise<void> {
    const container = await docker.inspectContainer(live.containerId, signal);
    if (container?.state !== 'running') return;
    if (!force && routedPort.has(key(live)) && routedPort.get(key(live)) === upstream(container)) return;
    await router.switchTo(stageRouteTarget(deps.settings.stage(live.project, live.stage), container), signal);
    if (routedPort.has(key(live)) && routedPort.get(key(live)) !== upstream(container)) {
      logger.warn('live container came back on another port: proxy route re-pointed', {
        project: live.project,
        stage: live.stage,
        container: container.name,
        hostPort: container.hostPort,
        ...(container.hostAddress === undefined ? {} : { hostAddress: container.hostAddress }),
      });
    }
    routedPort.set(key(live), upstream(container));
  }

  /** Every stage at once: a stage whose deploy is running does not hold up the others. */
  async function repairAll(signal?: AbortSignal, force = false): Promise<void> {
    await Promise.all(
      store.listLive().map(async (live) => {
        try {
          await repair(live, signal, force);
        } catch (error) {
          if (signal?.aborted) return;
          logger.error('could not check the route of a live version', {
            project: live.project,
            stage: live.stage,
            error: errorMessage(error),
          });
        }
      }),
    );
  }

  async function follow(signal: AbortSignal): Promise<void> {
    for (let failures = 0; !signal.aborted;) {
      try {
        await docker.ping(signal);
        await repairAll(signal);
        failures = 0;
        await docker.watchEvents((event) => {
          if (event.action !== 'start') return;
          const live = store.listLive().find((l) => l.containerId === event.containerId);
          if (live)
            void repair(live, signal).catch((error: unknown) => {
              if (!signal.aborted)
                logger.error('could not re-point a route', { stage: key(live), error: errorMessage(error) });
            });
        }, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (failures === 0)
          logger.warn("lost the Docker engine's events; watching again", { error: errorMessage(error) });
        await clock
          .sleep(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!, signal)
          .catch(() => undefined);
      }
    }
  }

  async function checkEvery(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await clock.sleep(intervalMs, signal).catch(() => undefined);
      if (!signal.aborted) await repairAll(signal, true);
    }
  }

  return {
    // When a deploy ends without success the route is asserted again: the engine may have moved
    // the live container meanwhile, or the deploy's own restore may not have reached a slow
    // proxy. After a success the route is the deploy's own.
    onDeployEvent(event, record) {
      if (event.type !== 'status' || !event.status || !FINAL_STATUSES.includes(event.status)) return;
      const live = store.getLive(record.project, record.stage);
      if (!live) return;
      if (event.status === 'succeeded' && live.deployId === record.id) {
        void docker.inspectContainer(live.containerId).then(
          (c) => routedPort.set(key(live), upstream(c)),
          () => routedPort.delete(key(live)),
        );
        return;
      }
      routedPort.delete(key(live));
      void repair(live).catch((error: unknown) =>
        logger.error('could not check the route after a deploy', {
          stage: key(live),
          error: errorMessage(error),
        }),
      );
    },
    start() {
      controller = new AbortController();
      loop = follow(controller.signal);
      if (checkIntervalMs > 0) checks = checkEvery(checkIntervalMs, controller.signal);
    },
    async stop() {
      controller?.abort();
      await Promise.all([loop, checks]);
    },
    repairAll: (signal) => repairAll(signal),
    checkAll: (signal) => repairAll(signal, true),
  };
}

/** Resolves once `signal` is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
