import type { DeployRecord, LiveVersion } from '../core/deploy-types.js';
import { LABEL_DEPLOY, LABEL_TAG, type ContainerDetails } from '../docker/engine.js';
import type { RouteSnapshot } from '../proxy/router.js';
import { stageDomain } from '../config/domains.js';
import { createDeployEventHub, type DeployEventHub } from './deploy-events.js';
import type { DeployObserver } from './deploy-observer.js';
import type { EngineDeps } from './engine-deps.js';
import { stageRouteTarget } from './route-target.js';

/** What reconcile works with: the engine's outside systems, and the deploys' observers. */
export interface ReconcileDeps extends EngineDeps {
  /**
   * Follow the statuses reconcile gives (interrupted, succeeded), as they follow the deployer's:
   * the forge learns the final state of a deploy that ended while docker-watcher was down.
   */
  observers?: readonly DeployObserver[];
}

type ReconcileContext = ReconcileDeps & { events: DeployEventHub };

/** What reconcile did; every entry was also logged. */
export interface ReconcileSummary {
  /** Deploys marked interrupted. */
  interrupted: string[];
  /** Deploys that had become live before the crash, finished (old container stopped) and marked succeeded. */
  completed: string[];
  removedContainers: string[];
  /** Domains whose route was put back. */
  restoredRoutes: string[];
  restartedContainers: string[];
  /** project/stage pairs whose running container was adopted as live. */
  adopted: string[];
}

function isSnapshot(value: unknown): value is RouteSnapshot {
  return typeof value === 'object' && value !== null && typeof (value as RouteSnapshot).domain === 'string';
}

/**
 * Repairs what a crash left behind, at start-up before any deploy runs: every deploy still
 * `running` or `queued` is undone unless it became live (its new container removed, the route
 * and the old container put back) and marked `interrupted`; a stage with no live record adopts
 * its running container. Running it twice changes nothing the second time.
 */
export async function reconcile(engine: ReconcileDeps): Promise<ReconcileSummary> {
  const deps: ReconcileContext = { ...engine, events: createDeployEventHub(engine) };
  const summary: ReconcileSummary = {
    interrupted: [],
    completed: [],
    removedContainers: [],
    restoredRoutes: [],
    restartedContainers: [],
    adopted: [],
  };
  for (const deploy of deps.store.listDeploys({ status: ['running', 'queued'] })) {
    if (deps.store.getLive(deploy.project, deploy.stage)?.deployId === deploy.id) {
      await completeDeploy(deps, deploy, summary);
      continue;
    }
    try {
      await recoverDeploy(deps, deploy, summary);
    } catch (error) {
      deps.logger.error('reconcile could not fully undo an interrupted deploy', {
        deployId: deploy.id,
        error,
      });
    }
    markInterrupted(deps, deploy);
    summary.interrupted.push(deploy.id);
  }
  await adoptLiveContainers(deps, summary);
  return summary;
}

async function recoverDeploy(
  deps: ReconcileDeps,
  deploy: DeployRecord,
  summary: ReconcileSummary,
): Promise<void> {
  const { docker, store, logger } = deps;
  const log = logger.child({ deployId: deploy.id, project: deploy.project, stage: deploy.stage });
  const live = store.getLive(deploy.project, deploy.stage);
  // The route goes back before the new container goes away, so the site never points at nothing.
  if (deploy.phases.some((p) => p.phase === 'switch')) await restoreRoute(deps, deploy, live, summary);
  const ref = deploy.containerId ?? deploy.containerName;
  const container = ref === undefined ? undefined : await docker.inspectContainer(ref);
  if (container && container.id !== live?.containerId) {
    if (container.labels[LABEL_DEPLOY] === deploy.id) {
      await docker.removeContainer(container.id);
      summary.removedContainers.push(container.name);
      log.info('removed the half-started container of an interrupted deploy', { container: container.name });
    } else if (deploy.intent.rollbackOf !== undefined && container.state === 'running') {
      await docker.stopContainer(container.id);
      log.info('stopped the kept container an interrupted rollback had restarted', {
        container: container.name,
      });
    }
  }
  if (deploy.previousContainerId !== undefined && live?.containerId === deploy.previousContainerId) {
    const old = await docker.inspectContainer(deploy.previousContainerId);
    if (old && old.state !== 'running') {
      await docker.startContainer(old.id);
      summary.restartedContainers.push(old.name);
      log.info('started the live container again, stopped mid-swap', { container: old.name });
    }
  }
}

/** The proxy back to the snapshot; when the crash came before the snapshot was stored, to the live container. */
async function restoreRoute(
  deps: ReconcileDeps,
  deploy: DeployRecord,
  live: LiveVersion | undefined,
  summary: ReconcileSummary,
): Promise<void> {
  const { config } = deps.settings;
  const domain = stageDomain(config, deploy.project, deploy.stage);
  if (isSnapshot(deploy.proxyBefore)) {
    await deps.router.restore(deploy.proxyBefore);
  } else if (live) {
    const current = await deps.docker.inspectContainer(live.containerId);
    await deps.router.switchTo(
      stageRouteTarget(deps.settings.stage(deploy.project, deploy.stage), {
        name: live.containerName,
        hostPort: current?.hostPort,
      }),
    );
  } else {
    return;
  }
  summary.restoredRoutes.push(domain);
  deps.logger.info('put the proxy route back after an interrupted deploy', { deployId: deploy.id, domain });
}

/**
 * A deploy killed after `persist` is past the point of no return: the proxy already serves it
 * and the store names it live, so undoing it would be a second, unasked-for swap. Reconcile
 * finishes it instead: the previous container is stopped (kept for rollback) and the deploy is
 * marked succeeded.
 */
async function completeDeploy(
  deps: ReconcileContext,
  deploy: DeployRecord,
  summary: ReconcileSummary,
): Promise<void> {
  const at = deps.clock.now().toISOString();
  let message = 'completed after a restart of docker-watcher: it was already live';
  try {
    const old =
      deploy.previousContainerId === undefined
        ? undefined
        : await deps.docker.inspectContainer(deploy.previousContainerId);
    if (old && old.state === 'running') {
      const timeoutSeconds = deps.settings.engine.stopTimeoutSeconds;
      await deps.docker.stopContainer(old.id, { timeoutSeconds });
      message += `; stopped the previous container ${old.name}, kept for rollback`;
    }
  } catch (error) {
    deps.logger.error('reconcile could not stop the previous container of a completed deploy', {
      deployId: deploy.id,
      error,
    });
  }
  deps.store.updateDeploy(deploy.id, { status: 'succeeded', finishedAt: at });
  deps.events.emit(deploy.id, { type: 'status', level: 'info', status: 'succeeded', message });
  summary.completed.push(deploy.id);
}

function markInterrupted(deps: ReconcileContext, deploy: DeployRecord): void {
  const at = deps.clock.now().toISOString();
  const phase = deploy.phases.at(-1)?.phase ?? 'resolve';
  const message = `interrupted by a restart of docker-watcher during ${deploy.status === 'queued' ? 'the queue' : `phase ${phase}`}`;
  deps.store.updateDeploy(deploy.id, { status: 'interrupted', finishedAt: at, error: { phase, message } });
  deps.events.emit(deploy.id, { type: 'status', level: 'warn', status: 'interrupted', phase, message });
}

function newestFirst(a: ContainerDetails, b: ContainerDetails): number {
  return (b.labels[LABEL_DEPLOY] ?? '').localeCompare(a.labels[LABEL_DEPLOY] ?? '');
}

/** A stage without a live record (a lost database) adopts its newest running container. */
async function adoptLiveContainers(deps: ReconcileDeps, summary: ReconcileSummary): Promise<void> {
  const { config } = deps.settings;
  for (const [project, projectConfig] of Object.entries(config.projects)) {
    for (const stage of Object.keys(projectConfig.stages)) {
      if (deps.store.getLive(project, stage)) continue;
      const containers = await deps.docker.listManagedContainers({
        project,
        stage,
        instanceId: deps.instanceId,
      });
      const [chosen, ...others] = containers.filter((c) => c.state === 'running').sort(newestFirst);
      if (!chosen) continue;
      const digest = chosen.image.includes('@')
        ? chosen.image.slice(chosen.image.indexOf('@') + 1)
        : undefined;
      deps.store.setLive({
        project,
        stage,
        deployId: chosen.labels[LABEL_DEPLOY] ?? `adopted-${chosen.id.slice(0, 12)}`,
        tag: chosen.labels[LABEL_TAG] ?? 'unknown',
        image: projectConfig.image,
        ...(digest === undefined ? {} : { digest }),
        imageRef: chosen.image,
        containerId: chosen.id,
        containerName: chosen.name,
        since: chosen.startedAt ?? deps.clock.now().toISOString(),
      });
      summary.adopted.push(`${project}/${stage}`);
      deps.logger.info('adopted a running container as the live version', {
        project,
        stage,
        container: chosen.name,
        ...(others.length > 0 ? { alsoRunning: others.map((c) => c.name) } : {}),
      });
    }
  }
}
