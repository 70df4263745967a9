import { errorMessage } from '../core/errors.js';
import type { ContainerDetails } from '../docker/engine.js';
import type { DeployPlan } from './plan.js';
import { versionsToRemove } from './retention.js';
import type { SwapDeps, SwapState } from './swap-context.js';

/**
 * The stop_old phase: stops the previous live container gracefully (it stays, for an instant
 * rollback). blue-green runs it last and then removes the stage's stopped versions beyond
 * keep_versions; recreate runs it before the new container starts, and prunes once the new
 * version is live (pruneVersions, from the swap).
 */
export async function stopPrevious(
  deps: SwapDeps,
  plan: DeployPlan,
  state: SwapState,
  current: ContainerDetails,
  signal: AbortSignal,
): Promise<void> {
  const { previous } = plan;
  if (previous && previous.containerId !== current.id) {
    state.stoppingOld = true;
    if (plan.strategy === 'recreate') state.downSince = deps.clock.now().getTime();
    const timeoutSeconds = plan.stopTimeoutSeconds;
    deps.events.emit(state.deployId, {
      type: 'log',
      level: 'info',
      message: `stopping ${previous.containerName} (${previous.tag}): waiting up to ${timeoutSeconds} s for it to exit on SIGTERM, then it is killed`,
    });
    await deps.docker.stopContainer(previous.containerId, { timeoutSeconds, signal });
    const why =
      plan.strategy === 'recreate'
        ? 'before the new version starts (strategy recreate)'
        : 'kept for rollback';
    deps.events.emit(state.deployId, {
      type: 'log',
      level: 'info',
      message: `stopped ${previous.containerName} (${previous.tag}), ${why}`,
    });
  }
  if (plan.strategy === 'blue-green') await pruneVersions(deps, plan, current, signal);
}

/**
 * Removes the stage's stopped versions beyond keep_versions. Pruning is housekeeping: a failure
 * there must not undo a deploy that is live and healthy, so it is logged, never thrown.
 */
export async function pruneVersions(
  deps: SwapDeps,
  plan: DeployPlan,
  current: ContainerDetails,
  signal: AbortSignal,
): Promise<void> {
  const keep = plan.keepVersions;
  try {
    const containers = await deps.docker.listManagedContainers(
      { project: plan.project, stage: plan.stage, instanceId: deps.instanceId },
      signal,
    );
    for (const old of versionsToRemove(containers, keep, new Set([current.id]))) {
      await deps.docker.removeContainer(old.id, signal);
      deps.events.emit(plan.deployId, {
        type: 'log',
        level: 'info',
        message: `removed old version ${old.name} (keep_versions ${keep})`,
      });
    }
  } catch (error) {
    deps.events.emit(plan.deployId, {
      type: 'log',
      level: 'warn',
      message: `could not remove old versions: ${errorMessage(error)}`,
    });
  }
}
