import { stageDomain } from '../config/domains.js';
import type { Config } from '../config/schema.js';
import { hasStage } from '../config/config-lookup.js';
import type { TeardownIntent } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { SwapDeps } from './swap-context.js';

/**
 * The domain a stage is served on: from the config while the stage is there; for an orphan
 * (removed from the config), the domain its history recorded last.
 */
export function teardownDomain(
  config: Config,
  store: Store,
  project: string,
  stage: string,
): string | undefined {
  if (hasStage(config, project, stage)) return stageDomain(config, project, stage);
  for (const record of store.listDeploys({ project, stage, limit: 200 })) {
    const domain = record.routeBefore?.domain ?? record.domain;
    if (domain !== undefined) return domain;
  }
  return undefined;
}

/** The history entry of a teardown: what was live (if anything), trigger `teardown`. */
export function teardownIntent(
  store: Store,
  project: string,
  stage: string,
  requestedBy?: string,
): TeardownIntent {
  const live = store.getLive(project, stage);
  return {
    project,
    stage,
    trigger: 'teardown',
    ...(live ? { image: live.image, tag: live.tag } : {}),
    ...(live?.digest === undefined ? {} : { digest: live.digest }),
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
  if (record?.kind !== 'teardown') return;
  const { project, stage, domain } = record;
  const where = `${project}/${stage}`;
  const log = (message: string) => events.emit(deployId, { type: 'log', level: 'info', message });
  deps.lifecycle.move(deployId, 'running', { message: `tearing down ${where}` });
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
    if (domain !== undefined) {
      const removed = await deps.router.remove(domain, signal);
      log(removed ? `removed the proxy host of ${domain}` : `no proxy host of ours for ${domain}`);
    }
    store.endPhase(deployId, 'teardown', true, clock.now().toISOString());
    const what =
      containers.length === 0 ? 'no containers were left' : `${containers.length} container(s) removed`;
    deps.lifecycle.move(deployId, 'succeeded', { message: `${where} is torn down: ${what}` });
  } catch (error) {
    const status = signal.aborted ? 'interrupted' : 'failed';
    const message = `teardown of ${where} stopped: ${errorMessage(error)}; send the teardown again to finish it`;
    store.endPhase(deployId, 'teardown', false, clock.now().toISOString());
    deps.lifecycle.move(deployId, status, {
      level: 'error',
      phase: 'teardown',
      message,
      patch: { error: { phase: 'teardown', message } },
    });
  }
}
