import { FINAL_STATUSES, type LiveVersion } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import { createSlots } from '../core/slots.js';
import { LABEL_DEPLOY, type ContainerDetails } from '../docker/engine.js';
import type { RouteTarget } from '../proxy/router.js';
import type { DeployObserver } from './deploy-observer.js';
import type { EngineDeps } from './engine-deps.js';
import { stageRouteTarget } from './route-target.js';
import type { StageQueue } from './stage-queue.js';

/**
 * Stages whose Docker and router calls run at once in a pass over every stage. At 510 stages a
 * pass with all of them in flight held 510 engine connections (and their buffers) together.
 */
const PASS_CONCURRENCY = 16;

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
  // Where each stage's route points: the published port (of each replica of a Swarm service),
  // and its node when that is not this host.
  const routedPort = new Map<string, string | undefined>();
  const at = (c: { hostPort?: number | undefined; hostAddress?: string | undefined }) =>
    `${c.hostAddress ?? ''}:${c.hostPort}`;
  const upstream = (container: ContainerDetails | undefined) =>
    container?.hostPort === undefined
      ? undefined
      : container.instances && container.instances.length > 1
        ? container.instances.map(at).join(',')
        : at(container);
  const stageKey = (project: string, stage: string) => `${project}/${stage}`;
  const key = (live: LiveVersion) => stageKey(live.project, live.stage);
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let checks: Promise<void> | undefined;
  // Bounds the engine work of the stages, not their turns: a stage waiting for its deploy holds no slot.
  const slots = createSlots(PASS_CONCURRENCY);

  /**
   * `afterFailureOf`: the deploy that just ended without success; a container it had to leave
   * running (its route could not be put back) goes once the route is on the live one again.
   */
  async function repair(
    stage: { project: string; stage: string },
    outer?: AbortSignal,
    force = false,
    afterFailureOf?: string,
  ): Promise<void> {
    const where = stageKey(stage.project, stage.stage);
    const chore = `${force ? 'route-check' : 'route-repair'}:${where}`;
    const turn = stages.exclusive(where, chore, async (own) => {
      if (outer?.aborted) return;
      const signal = outer ? AbortSignal.any([outer, own]) : own;
      // Read in its turn: a deploy that ran before it may have changed what is live.
      const live = store.getLive(stage.project, stage.stage);
      if (!live || !deps.settings.hasStage(live.project, live.stage)) return;
      await slots.run(async () => {
        const routed = await repairStage(live, signal, force);
        if (routed && afterFailureOf !== undefined)
          await disposeLeftover(afterFailureOf, live, routed, signal);
      });
    });
    // Stopping the keeper does not wait for a turn behind a long deploy: the chore then does nothing.
    await (outer ? Promise.race([turn, aborted(outer)]) : turn);
  }

  /** The route the live container is on now; undefined when it is not running (nothing routed). */
  async function repairStage(
    live: LiveVersion,
    signal: AbortSignal,
    force: boolean,
  ): Promise<RouteTarget | undefined> {
    const container = await docker.inspectContainer(live.containerId, signal);
    if (container?.state !== 'running') return undefined;
    const target = stageRouteTarget(deps.settings.stage(live.project, live.stage), container);
    if (!force && routedPort.has(key(live)) && routedPort.get(key(live)) === upstream(container))
      return target;
    await router.switchTo(target, signal);
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
    return target;
  }

  /**
   * Removes the failed deploy's own container (stops a rollback's kept one) if it is still
   * running, once the proxy serves the live route (NPM answers before nginx has reloaded).
   */
  async function disposeLeftover(
    deployId: string,
    live: LiveVersion,
    routed: RouteTarget,
    signal: AbortSignal,
  ): Promise<void> {
    const id = store.getDeploy(deployId)?.containerId;
    if (id === undefined || id === live.containerId) return;
    const left = await docker.inspectContainer(id, signal);
    if (left?.state !== 'running') return;
    await router.confirm(routed, signal);
    const own = left.labels[LABEL_DEPLOY] === deployId;
    await (own ? docker.removeContainer(left.id, signal) : docker.stopContainer(left.id, { signal }));
    logger.info(
      `${own ? 'removed' : 'stopped'} the container a failed deploy left running, now that the route is back`,
      { project: live.project, stage: live.stage, container: left.name, deployId, live: live.containerName },
    );
  }

  /**
   * After a deploy ended without success: the route back on the live version, tried again a few
   * times (RETRY_MS) when the proxy fails, since a container the deploy left running waits for it.
   */
  async function repairAfterFailure(live: LiveVersion, deployId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const signal = controller?.signal;
      try {
        await repair(live, signal, false, deployId);
        return;
      } catch (error) {
        if (signal?.aborted || attempt >= RETRY_MS.length) throw error;
        logger.warn('could not put the route back after a failed deploy; trying again', {
          stage: key(live),
          error: errorMessage(error),
        });
        await clock.sleep(RETRY_MS[attempt]!, signal);
      }
    }
  }

  /**
   * The stage's newest deploy when it ended without success and is not the live one: a container
   * it left running (see disposeLeftover) may still be there after a restart of docker-watcher.
   */
  function lastFailure(live: LiveVersion): string | undefined {
    const [head] = store.listDeployHeads({ project: live.project, stage: live.stage, limit: 1 });
    return head && head.id !== live.deployId && (head.status === 'failed' || head.status === 'interrupted')
      ? head.id
      : undefined;
  }

  /**
   * Every stage at once, PASS_CONCURRENCY of them at the engine: a stage whose deploy is running
   * does not hold up the others (it waits for its turn outside the slots). The first
   * pass (at start and after the engine came back) also looks for what a failed deploy left.
   */
  async function repairAll(signal?: AbortSignal, force = false): Promise<void> {
    await Promise.all(
      store.listLive().map(async (live) => {
        try {
          await repair(live, signal, force, force ? undefined : lastFailure(live));
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
      void repairAfterFailure(live, record.id).catch((error: unknown) => {
        if (!controller?.signal.aborted)
          logger.error('could not check the route after a deploy', {
            stage: key(live),
            error: errorMessage(error),
          });
      });
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
