import type { DeployRecord, LiveVersion } from '../core/deploy-types.js';
import { LABEL_DEPLOY, LABEL_TAG, type ContainerDetails } from '../docker/engine.js';
import { stageDomain } from '../config/domains.js';
import type { EngineDeps } from './engine-deps.js';
import type { DeployLifecycle } from './lifecycle.js';
import { stageRouteTarget } from './route-target.js';

/**
 * What reconcile works with: the engine's outside systems, and the deploys' lifecycle, so that
 * the statuses it gives (interrupted, succeeded, queued again) reach the observers as the
 * deployer's do: the forge and the notification targets learn how a deploy ended while
 * docker-watcher was down.
 */
export interface ReconcileDeps extends EngineDeps {
  lifecycle: DeployLifecycle;
}

/** What reconcile did; every entry was also logged. */
export interface ReconcileSummary {
  /** Deploys marked interrupted (cut off a second time, or not fully undone). */
  interrupted: string[];
  /** Deploys that had become live before the crash, finished (old container stopped) and marked succeeded. */
  completed: string[];
  /** Deploys cut off before they became live: undone and queued again for their second attempt. */
  retried: string[];
  /** Deploys still queued at the crash: left queued, to run after the start. */
  resumed: string[];
  removedContainers: string[];
  /** Domains whose route was put back. */
  restoredRoutes: string[];
  restartedContainers: string[];
  /** project/stage pairs whose running container was adopted as live. */
  adopted: string[];
}

/** How many times a deploy runs at most: the first attempt, and one more after a restart cut it off. */
export const MAX_ATTEMPTS = 2;

/**
 * Repairs what a crash left behind, at start-up before any deploy runs (the deployer holds every
 * stage's queue meanwhile, see Deployer.recover): a deploy still `queued` stays queued and runs
 * after the start; one `running` that became live is completed; one `running` that did not is
 * undone (its new container removed, the route and the old container put back) and queued
 * again for a second attempt, or marked `interrupted` when that was its second attempt or the
 * undo failed. A stage with no live record adopts its running container. Running it twice
 * changes nothing the second time.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    interrupted: [],
    completed: [],
    retried: [],
    resumed: [],
    removedContainers: [],
    restoredRoutes: [],
    restartedContainers: [],
    adopted: [],
  };
  // Oldest first, so the deploys queued again keep their order.
  const unfinished = deps.store.listDeploys({ status: ['running', 'queued'] }).reverse();
  for (const deploy of unfinished) {
    if (deploy.status === 'queued') {
      summary.resumed.push(deploy.id);
      deps.lifecycle.events.emit(deploy.id, {
        type: 'log',
        level: 'info',
        message: 'still queued after a restart of docker-watcher: it runs in its turn',
      });
      continue;
    }
    if (deps.store.getLive(deploy.project, deploy.stage)?.deployId === deploy.id) {
      await completeDeploy(deps, deploy, summary);
      continue;
    }
    let undone = true;
    try {
      await recoverDeploy(deps, deploy, summary);
    } catch (error) {
      undone = false;
      deps.logger.error('reconcile could not fully undo an interrupted deploy', {
        deployId: deploy.id,
        error,
      });
    }
    if (undone && deploy.attempt < MAX_ATTEMPTS) {
      queueAgain(deps, deploy);
      summary.retried.push(deploy.id);
    } else {
      markInterrupted(deps, deploy);
      summary.interrupted.push(deploy.id);
    }
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
    } else if (
      deploy.kind === 'deploy' &&
      deploy.intent.rollbackOf !== undefined &&
      container.state === 'running'
    ) {
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
  const domain =
    deploy.routeBefore?.domain ?? deploy.domain ?? stageDomain(config, deploy.project, deploy.stage);
  if (deploy.routeBefore) {
    await deps.router.restore(deploy.routeBefore);
  } else if (live) {
    const current = await deps.docker.inspectContainer(live.containerId);
    await deps.router.switchTo(
      stageRouteTarget(deps.settings.stage(deploy.project, deploy.stage), {
        name: live.containerName,
        hostPort: current?.hostPort,
        hostAddress: current?.hostAddress,
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
  deps: ReconcileDeps,
  deploy: DeployRecord,
  summary: ReconcileSummary,
): Promise<void> {
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
  deps.lifecycle.move(deploy.id, 'succeeded', { message });
  summary.completed.push(deploy.id);
}

function cutOffDuring(deploy: DeployRecord): string {
  return `interrupted by a restart of docker-watcher during phase ${deploy.phases.at(-1)?.phase ?? 'resolve'}`;
}

/** Second attempt of a deploy reconcile undid: queued again, its history keeps the first attempt. */
function queueAgain(deps: ReconcileDeps, deploy: DeployRecord): void {
  const attempt = deploy.attempt + 1;
  deps.lifecycle.move(deploy.id, 'queued', {
    level: 'warn',
    ...(deploy.phases.at(-1) ? { phase: deploy.phases.at(-1)!.phase } : {}),
    message: `${cutOffDuring(deploy)}; undone, queued again (attempt ${attempt} of ${MAX_ATTEMPTS})`,
    patch: { attempt },
  });
}

function markInterrupted(deps: ReconcileDeps, deploy: DeployRecord): void {
  const phase = deploy.phases.at(-1)?.phase ?? 'resolve';
  const message = cutOffDuring(deploy);
  deps.lifecycle.move(deploy.id, 'interrupted', { phase, message, patch: { error: { phase, message } } });
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
