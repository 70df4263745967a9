import type { Phase } from '../core/deploy-types.js';
import { DeployError, errorMessage } from '../core/errors.js';
import { LABEL_DEPLOY, type ContainerDetails } from '../docker/engine.js';
import { deployPlan, imageReference, STRATEGY_PHASES, type DeployPlan } from './plan.js';
import { pruneVersions } from './stop-previous.js';
import type { SwapDeps, SwapState } from './swap-context.js';
import { formatMs, SWAP_STEPS } from './swap-steps.js';

/** Lines of the new container's log kept with a failed deploy. */
const LOG_TAIL = 50;
/**
 * How long an undo waits for the proxy to put the route back; past it (a proxy slower than
 * that) the route keeper does it once the deploy has ended, and the new version serves until then.
 */
const UNDO_ROUTE_MS = 10_000;

function toDeployError(phase: Phase, error: unknown, signal: AbortSignal): DeployError {
  if (error instanceof DeployError) return error;
  if (signal.aborted)
    return new DeployError(phase, `aborted during ${phase}: ${errorMessage(signal.reason)}`);
  return new DeployError(phase, errorMessage(error), { cause: error });
}

/** The plan of a deploy from the settings resolved at the root; throws for a stage gone from them. */
function planOf(deps: SwapDeps, state: SwapState): DeployPlan {
  const { intent } = state;
  return deployPlan({
    deployId: state.deployId,
    intent,
    stage: deps.settings.stage(intent.project, intent.stage),
    engine: deps.settings.engine,
    instanceId: deps.instanceId,
    reach: deps.reach,
    live: state.previous,
  });
}

/**
 * Runs one queued deploy to a final status: the plan is made (src/deploy/plan.ts), then its
 * phases run in the strategy's order, each recorded (beginPhase) before its side effect; on any
 * failure, undoes what was done and leaves the old version serving. Never rejects: the outcome
 * is in the store.
 */
export async function runSwap(deps: SwapDeps, deployId: string, signal: AbortSignal): Promise<void> {
  const { store, clock, events } = deps;
  const record = store.getDeploy(deployId);
  if (record?.kind !== 'deploy') return;
  const { intent } = record;
  const previous = store.getLive(intent.project, intent.stage);
  const requestedRef = imageReference(intent.image, intent.tag, intent.digest);
  const state: SwapState = {
    deployId,
    intent,
    plan: undefined,
    previous,
    pull: 'pull',
    imageRef: requestedRef,
    digest: intent.digest,
    kept: undefined,
    container: undefined,
    snapshot: undefined,
    persisted: false,
    stoppingOld: false,
    downSince: undefined,
  };
  // A stage removed from the config since the request was queued fails in resolve, when planned.
  const strategy = deps.settings.hasStage(intent.project, intent.stage)
    ? deps.settings.stage(intent.project, intent.stage).strategy
    : 'blue-green';
  deps.lifecycle.move(deployId, 'running', {
    message:
      `deploying ${intent.tag} to ${intent.project}/${intent.stage}` +
      (record.attempt > 1 ? ` (attempt ${record.attempt}, after a restart of docker-watcher)` : ''),
    patch: { strategy, ...(previous ? { previousContainerId: previous.containerId } : {}) },
  });

  for (const phase of STRATEGY_PHASES[strategy]) {
    store.beginPhase(deployId, phase, clock.now().toISOString());
    events.emit(deployId, { type: 'phase', level: 'info', phase, message: `${phase} started` });
    try {
      if (signal.aborted)
        throw new DeployError(phase, `aborted before ${phase}: ${errorMessage(signal.reason)}`);
      state.plan ??= planOf(deps, state);
      await SWAP_STEPS[phase](deps, state.plan, state, signal);
      store.endPhase(deployId, phase, true, clock.now().toISOString());
      await deps.afterPhase?.(deployId, phase);
    } catch (error) {
      store.endPhase(deployId, phase, false, clock.now().toISOString());
      await undoSwap(deps, state, toDeployError(phase, error, signal), signal.aborted);
      return;
    }
  }
  if (strategy === 'recreate' && state.plan && state.container)
    await pruneVersions(deps, state.plan, state.container, signal);
  const url = store.getDeploy(deployId)?.url;
  deps.lifecycle.move(deployId, 'succeeded', {
    message: `${intent.tag} is live on ${intent.project}/${intent.stage}${url ? ` at ${url}` : ''}`,
  });
}

/**
 * Puts everything back after a failure at `failure.phase`: the proxy to its snapshot, the live
 * record to the previous version, the previous container running, and the new container gone
 * (a kept container of a rollback is stopped again instead, so it stays available). Cleanup
 * runs without the deploy's signal: an abort must not stop the undo itself.
 */
async function undoSwap(
  deps: SwapDeps,
  state: SwapState,
  failure: DeployError,
  aborted: boolean,
): Promise<void> {
  const { store, clock, events, docker } = deps;
  const { deployId, intent, previous } = state;
  const container = state.container ?? (await ownContainerByName(deps, deployId));
  store.beginPhase(deployId, 'rollback', clock.now().toISOString());
  events.emit(deployId, {
    type: 'phase',
    level: 'warn',
    phase: 'rollback',
    message: `${failure.phase} failed: ${failure.message}; undoing: the new container goes, what was live stays`,
  });
  const problems: string[] = [];
  const attempt = async (what: string, action: () => Promise<void>): Promise<boolean> => {
    try {
      await action();
      return true;
    } catch (error) {
      problems.push(`${what}: ${errorMessage(error)}`);
      events.emit(deployId, {
        type: 'log',
        level: 'error',
        phase: 'rollback',
        message: `could not ${what}: ${errorMessage(error)}`,
      });
      return false;
    }
  };
  const logs =
    failure.containerLogs ??
    (container
      ? await docker.containerLogs(container.id, { tail: LOG_TAIL }).catch(() => undefined)
      : undefined);

  const routeBack = state.snapshot
    ? await attempt('restore the proxy', () =>
        deps.router.restore(state.snapshot!, AbortSignal.timeout(UNDO_ROUTE_MS)),
      )
    : true;
  if (state.persisted) {
    if (previous) store.setLive(previous);
    else store.clearLive(intent.project, intent.stage);
  }
  const startPrevious = async () => {
    if (!state.stoppingOld || !previous) return;
    await attempt(`start the previous container ${previous.containerName} again`, async () => {
      const old = await docker.inspectContainer(previous.containerId);
      if (old && old.state !== 'running') await docker.startContainer(old.id);
    });
  };
  const disposeNew = async () => {
    if (!container) return;
    // The proxy may still send requests to the new container: it keeps serving them until the
    // route keeper has put the route back on the previous version, which then disposes of it.
    if (!routeBack && previous && state.plan?.strategy !== 'recreate') {
      events.emit(deployId, {
        type: 'log',
        level: 'warn',
        phase: 'rollback',
        message: `left ${container.name} running: the proxy may still route to it; it is ${state.kept ? 'stopped' : 'removed'} once the route is back on ${previous.containerName}`,
      });
      return;
    }
    await attempt(
      state.kept ? `stop the kept container ${container.name}` : `remove the new container ${container.name}`,
      () => (state.kept ? docker.stopContainer(container.id) : docker.removeContainer(container.id)),
    );
  };
  // blue-green starts the old one first (it was serving a moment ago); recreate never runs the
  // two at once, so the new one goes before the old one starts.
  if (state.plan?.strategy === 'recreate') {
    await disposeNew();
    await startPrevious();
  } else {
    await startPrevious();
    await disposeNew();
  }
  if (state.downSince !== undefined) {
    const downtimeMs = Math.max(0, clock.now().getTime() - state.downSince);
    store.updateDeploy(deployId, { downtimeMs });
    events.emit(deployId, {
      type: 'log',
      level: 'warn',
      phase: 'rollback',
      message: `the site was down for ${formatMs(downtimeMs)} until the previous version was started again`,
    });
  }
  store.endPhase(deployId, 'rollback', problems.length === 0, clock.now().toISOString());

  const status = aborted ? 'interrupted' : 'failed';
  const message =
    problems.length === 0 ? failure.message : `${failure.message} (undo problems: ${problems.join('; ')})`;
  const serving = previous ? `${previous.tag} still serves` : 'nothing was live before';
  deps.lifecycle.move(deployId, status, {
    level: 'error',
    phase: failure.phase,
    message: `deploy ${status} in phase ${failure.phase}: ${message}; ${serving}`,
    patch: {
      error: {
        phase: failure.phase,
        message,
        ...(logs && logs.length > 0 ? { containerLogs: logs.slice(-LOG_TAIL) } : {}),
        ...(failure.summary === undefined ? {} : { summary: failure.summary }),
      },
    },
  });
}

/**
 * The container a create that failed midway (aborted, timed out) may still have made: found by
 * the name recorded before the call, and only when it carries this deploy's label.
 */
async function ownContainerByName(deps: SwapDeps, deployId: string): Promise<ContainerDetails | undefined> {
  const name = deps.store.getDeploy(deployId)?.containerName;
  if (name === undefined) return undefined;
  const found = await deps.docker.inspectContainer(name).catch(() => undefined);
  return found?.labels[LABEL_DEPLOY] === deployId ? found : undefined;
}
