import { errorMessage } from '../core/errors.js';
import type { ContainerDetails } from '../docker/engine.js';
import { versionsToRemove } from './retention.js';
import type { SwapDeps, SwapState } from './swap-context.js';

/**
 * The stop_old phase: stops the previous live container gracefully (it stays, for an instant
 * rollback), then removes the stage's stopped versions beyond keep_versions.
 */
export async function stopPrevious(
  deps: SwapDeps,
  state: SwapState,
  current: ContainerDetails,
  signal: AbortSignal,
): Promise<void> {
  const { config } = deps.loaded;
  const { project, stage } = state.intent;
  const { previous, deployId } = state;
  if (previous && previous.containerId !== current.id) {
    state.stoppingOld = true;
    const timeoutSeconds = config.global.docker.stop_timeout_seconds;
    deps.events.emit(deployId, {
      type: 'log',
      level: 'info',
      message: `stopping ${previous.containerName} (${previous.tag}): waiting up to ${timeoutSeconds} s for it to exit on SIGTERM, then it is killed`,
    });
    await deps.docker.stopContainer(previous.containerId, { timeoutSeconds, signal });
    deps.events.emit(deployId, {
      type: 'log',
      level: 'info',
      message: `stopped ${previous.containerName} (${previous.tag}), kept for rollback`,
    });
  }
  // Pruning is housekeeping: a failure there must not undo a deploy that is live and healthy.
  try {
    const keep = config.projects[project]?.keep_versions ?? config.global.keep_versions;
    const containers = await deps.docker.listManagedContainers(
      { project, stage, instanceId: deps.instanceId },
      signal,
    );
    for (const old of versionsToRemove(containers, keep, new Set([current.id]))) {
      await deps.docker.removeContainer(old.id, signal);
      deps.events.emit(deployId, {
        type: 'log',
        level: 'info',
        message: `removed old version ${old.name} (keep_versions ${keep})`,
      });
    }
  } catch (error) {
    deps.events.emit(deployId, {
      type: 'log',
      level: 'warn',
      message: `could not remove old versions: ${errorMessage(error)}`,
    });
  }
}
