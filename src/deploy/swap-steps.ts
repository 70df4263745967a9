import { stageDomain } from '../config/domains.js';
import type { PHASES } from '../core/deploy-types.js';
import { DeployError } from '../core/errors.js';
import { LABEL_INSTANCE } from '../docker/engine.js';
import { findStage } from '../config/config-lookup.js';
import {
  containerName,
  containerSpec,
  deployUrl,
  digestFor,
  healthConfig,
  envFilePath,
  imageReference,
  newContainerName,
  pullDecision,
} from './plan.js';
import { describeProbe } from './health-check.js';
import { probeUrl } from './probe-url.js';
import { stageRouteTarget } from './route-target.js';
import { pullCredentials } from './pull-credentials.js';
import type { SwapDeps, SwapState } from './swap-context.js';
import { stopPrevious } from './stop-previous.js';

type Step = (deps: SwapDeps, state: SwapState, signal: AbortSignal) => Promise<void>;

function log(deps: SwapDeps, state: SwapState, message: string, level: 'info' | 'warn' = 'info'): void {
  deps.events.emit(state.deployId, { type: 'log', level, message });
}

function mustHaveContainer(state: SwapState, phase: (typeof PHASES)[number]) {
  if (!state.container)
    throw new DeployError(phase, `no container to ${phase}: the create phase did not run`);
  return state.container;
}

/**
 * The phases of a blue-green swap, in PHASES order (kamal-proxy's order): nothing touches the
 * live container or the proxy before the new container is healthy.
 */
export const SWAP_STEPS: Record<(typeof PHASES)[number], Step> = {
  async resolve(deps, state, signal) {
    const { intent } = state;
    const { projectConfig } = findStage(deps.loaded.config, intent.project, intent.stage);
    const target = intent.rollbackOf === undefined ? undefined : deps.store.getDeploy(intent.rollbackOf);
    const kept = target?.containerId
      ? await deps.docker.inspectContainer(target.containerId, signal)
      : undefined;
    const reusable =
      kept && kept.id !== state.previous?.containerId && kept.labels[LABEL_INSTANCE] === deps.instanceId;
    if (reusable) {
      state.kept = kept;
      state.imageRef = kept.image;
      state.digest = target?.digest;
      log(deps, state, `rolling back to the kept container ${kept.name} (${intent.tag})`);
    } else {
      const present = await deps.docker.inspectImage(state.requestedRef, signal);
      state.pull = pullDecision(
        projectConfig.pull_policy,
        intent.digest !== undefined,
        present !== undefined,
      );
      if (state.pull === 'missing') {
        throw new DeployError(
          'resolve',
          `image ${state.requestedRef} is not present on the Docker host and project ${intent.project} has ` +
            'pull_policy never; pull it by hand or set pull_policy to if-missing',
        );
      }
    }
    deps.store.updateDeploy(state.deployId, {
      imageRef: state.imageRef,
      ...(state.digest ? { digest: state.digest } : {}),
    });
  },

  async pull(deps, state, signal) {
    if (state.kept) return log(deps, state, 'no pull: restarting a kept container');
    const { intent } = state;
    if (state.pull === 'pull') {
      const credentials = pullCredentials(deps.loaded, intent.project);
      log(deps, state, `pulling ${state.requestedRef}${credentials ? ` as ${credentials.username}` : ''}`);
      await deps.docker.pullImage(state.requestedRef, { ...(credentials ? { credentials } : {}), signal });
    } else {
      log(deps, state, `no pull: ${state.requestedRef} is present`);
    }
    const image = await deps.docker.inspectImage(state.requestedRef, signal);
    if (!image) throw new DeployError('pull', `image ${state.requestedRef} is not present after the pull`);
    state.digest = intent.digest ?? digestFor(intent.image, image.repoDigests);
    state.imageRef = imageReference(intent.image, intent.tag, state.digest);
    deps.store.updateDeploy(state.deployId, {
      imageRef: state.imageRef,
      ...(state.digest ? { digest: state.digest } : {}),
    });
  },

  async create(deps, state, signal) {
    const { intent, deployId } = state;
    if (state.kept) {
      state.container = state.kept;
      deps.store.updateDeploy(deployId, { containerId: state.kept.id, containerName: state.kept.name });
      return;
    }
    const { config } = deps.loaded;
    await deps.docker.ensureNetwork(config.global.network, signal);
    const base = containerName(intent.project, intent.stage, intent.tag);
    const taken = (await deps.docker.inspectContainer(base, signal)) ? new Set([base]) : new Set<string>();
    const name = newContainerName(base, deployId, taken);
    const envFile = envFilePath(deps.loaded, intent.project);
    const spec = containerSpec({
      loaded: deps.loaded,
      project: intent.project,
      stage: intent.stage,
      tag: intent.tag,
      deployId,
      instanceId: deps.instanceId,
      name,
      imageRef: state.imageRef,
      ...(envFile === undefined ? {} : { envFile: deps.readEnvFile(envFile) }),
    });
    deps.store.updateDeploy(deployId, { containerName: name });
    state.container = await deps.docker.createContainer(spec, signal);
    deps.store.updateDeploy(deployId, { containerId: state.container.id });
    log(deps, state, `created container ${name} from ${state.imageRef}`);
  },

  async start(deps, state, signal) {
    const container = mustHaveContainer(state, 'start');
    await deps.docker.startContainer(container.id, signal);
    const started = await deps.docker.inspectContainer(container.id, signal);
    state.container = started ?? container;
    // A container that is already down has no published port: say that it died, and how.
    if (
      !started ||
      started.state === 'exited' ||
      started.state === 'dead' ||
      started.state === 'restarting'
    ) {
      const how =
        started?.exitCode === undefined
          ? `is ${started?.state ?? 'gone'}`
          : `exited with code ${started.exitCode}${started.state === 'restarting' ? ' and is restarting' : ''}`;
      throw new DeployError('start', `container ${container.name} ${how} right after it started`);
    }
  },

  async health(deps, state, signal) {
    const container = mustHaveContainer(state, 'health');
    const { config } = deps.loaded;
    const { projectConfig } = findStage(config, state.intent.project, state.intent.stage);
    const url = probeUrl({
      reach: deps.reach,
      container,
      port: projectConfig.port,
      path: projectConfig.healthcheck,
      publishHost: config.global.docker.publish_host,
    });
    const health = healthConfig(config, state.intent.project);
    log(
      deps,
      state,
      `health-checking ${url}: up to ${health.deadline_seconds} s, a try every ${health.interval_seconds} s, ${health.healthy_after} good answer(s) needed`,
    );
    await deps.waitUntilHealthy({
      docker: deps.docker,
      containerId: container.id,
      url,
      health,
      clock: deps.clock,
      signal,
      onProbe: (probe) =>
        deps.events.emit(state.deployId, {
          type: 'log',
          level: probe.ok ? 'info' : 'warn',
          phase: 'health',
          message: describeProbe(probe),
        }),
    });
  },

  async switch(deps, state, signal) {
    const container = mustHaveContainer(state, 'switch');
    const { project, stage } = state.intent;
    const target = stageRouteTarget(deps.loaded.config, project, stage, container);
    state.snapshot = await deps.router.switchTo(target, signal);
    deps.store.updateDeploy(state.deployId, { routeBefore: state.snapshot });
    // NPM answers before nginx serves the change: the deploy is live once the proxy serves it.
    log(deps, state, await deps.router.confirm(target, signal));
  },

  async persist(deps, state) {
    const container = mustHaveContainer(state, 'persist');
    const { intent } = state;
    deps.store.setLive({
      project: intent.project,
      stage: intent.stage,
      deployId: state.deployId,
      tag: intent.tag,
      image: intent.image,
      ...(state.digest ? { digest: state.digest } : {}),
      imageRef: state.imageRef,
      containerId: container.id,
      containerName: container.name,
      since: deps.clock.now().toISOString(),
    });
    state.persisted = true;
    const domain = stageDomain(deps.loaded.config, intent.project, intent.stage);
    const url = deployUrl({ config: deps.loaded.config, domain, hostPort: container.hostPort });
    if (url) deps.store.updateDeploy(state.deployId, { url });
  },

  async drain(deps, state, signal) {
    const seconds = deps.loaded.config.global.docker.drain_seconds;
    if (state.previous && seconds > 0) await deps.clock.sleep(seconds * 1000, signal);
  },

  async stop_old(deps, state, signal) {
    await stopPrevious(deps, state, mustHaveContainer(state, 'stop_old'), signal);
  },
};
