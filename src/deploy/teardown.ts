import { stageDomain } from '../config/domains.js';
import type { Config } from '../config/schema.js';
import type { DeployIntent } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { SwapDeps } from './swap-context.js';

/**
 * The domain a stage is served on: from the config while the stage is there; for an orphan
 * (removed from the config), the domain its last switch recorded in the history.
 */
export function teardownDomain(
  config: Config,
  store: Store,
  project: string,
  stage: string,
): string | undefined {
  if (config.projects[project]?.stages[stage]) return stageDomain(config, project, stage);
  for (const record of store.listDeploys({ project, stage, limit: 200 })) {
    const before = record.proxyBefore as { domain?: unknown } | undefined;
    if (typeof before?.domain === 'string') return before.domain;
  }
  return undefined;
}

/** The history entry of a teardown: what was live (if anything), trigger `teardown`. */
export function teardownIntent(
  config: Config,
  store: Store,
  project: string,
  stage: string,
  requestedBy?: string,
): DeployIntent {
  const live = store.getLive(project, stage);
  return {
    project,
    stage,
    image: live?.image ?? config.projects[project]?.image ?? '',
    tag: live?.tag ?? 'none',
    trigger: 'teardown',
    ...(requestedBy === undefined ? {} : { requestedBy }),
  };
}

/**
 * Takes a stage away: stops and removes every container of it that this instance manages (kept
 * versions too), removes its proxy route (the router only deletes routes docker-watcher made),
 * forgets the live version. Runs in the stage queue, so never beside a deploy of the stage.
 * Never rejects: the outcome is in the store.
 */
export async function runTeardown(deps: SwapDeps, deployId: string, signal: AbortSignal): Promise<void> {
  const { store, clock, events, docker } = deps;
  const record = store.getDeploy(deployId);
  if (!record) return;
  const { project, stage } = record;
  const where = `${project}/${stage}`;
  const log = (message: string) => events.emit(deployId, { type: 'log', level: 'info', message });
  store.updateDeploy(deployId, { status: 'running', startedAt: clock.now().toISOString() });
  events.emit(deployId, {
    type: 'status',
    level: 'info',
    status: 'running',
    message: `tearing down ${where}`,
  });
  store.beginPhase(deployId, 'teardown', clock.now().toISOString());
  try {
    const timeoutSeconds = deps.settings.engine.stopTimeoutSeconds;
    const containers = await docker.listManagedContainers(
      { project, stage, instanceId: deps.instanceId },
      signal,
    );
    for (const container of containers) {
      if (container.state === 'running' || container.state === 'restarting')
        await docker.stopContainer(container.id, { timeoutSeconds, signal });
      await docker.removeContainer(container.id, signal);
      log(`removed container ${container.name}`);
    }
    // The containers are gone, so the live record would point at nothing from here on.
    store.clearLive(project, stage);
    const domain = teardownDomain(deps.settings.config, store, project, stage);
    if (domain !== undefined) {
      const removed = await deps.router.remove(domain, signal);
      log(removed ? `removed the proxy host of ${domain}` : `no proxy host of ours for ${domain}`);
    }
    store.endPhase(deployId, 'teardown', true, clock.now().toISOString());
    store.updateDeploy(deployId, { status: 'succeeded', finishedAt: clock.now().toISOString() });
    const what =
      containers.length === 0 ? 'no containers were left' : `${containers.length} container(s) removed`;
    events.emit(deployId, {
      type: 'status',
      level: 'info',
      status: 'succeeded',
      message: `${where} is torn down: ${what}`,
    });
  } catch (error) {
    const status = signal.aborted ? 'interrupted' : 'failed';
    const message = `teardown of ${where} stopped: ${errorMessage(error)}; send the teardown again to finish it`;
    store.endPhase(deployId, 'teardown', false, clock.now().toISOString());
    store.updateDeploy(deployId, {
      status,
      finishedAt: clock.now().toISOString(),
      error: { phase: 'teardown', message },
    });
    events.emit(deployId, { type: 'status', level: 'error', status, phase: 'teardown', message });
  }
}
