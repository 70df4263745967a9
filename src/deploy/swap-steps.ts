import type { PHASES } from '../core/deploy-types.js';
import { DeployError } from '../core/errors.js';
import { LABEL_INSTANCE } from '../docker/engine.js';
import { containerSpec, digestFor, imageReference, pullFor, stageUrl, type DeployPlan } from './plan.js';
import { describeProbe } from './health-check.js';
import { probeUrl, probeUrls } from './probe-url.js';
import { stageRouteTarget } from './route-target.js';
import { RouteWriteError } from '../proxy/router.js';
import type { SwapDeps, SwapState } from './swap-context.js';
import { stopPrevious } from './stop-previous.js';

type Step = (deps: SwapDeps, plan: DeployPlan, state: SwapState, signal: AbortSignal) => Promise<void>;

function log(deps: SwapDeps, state: SwapState, message: string, level: 'info' | 'warn' = 'info'): void {
  deps.events.emit(state.deployId, { type: 'log', level, message });
}

function mustHaveContainer(state: SwapState, phase: (typeof PHASES)[number]) {
  if (!state.container)
    throw new DeployError(phase, `no container to ${phase}: the create phase did not run`);
  return state.container;
}

/**
 * The phases of a swap. Each carries out its part of the plan (src/deploy/plan.ts) and records
 * what it did in `state`; the plan's strategy decides their order (STRATEGY_PHASES): for
 * blue-green, nothing touches the live container or the proxy before the new one is healthy.
 */
export const SWAP_STEPS: Record<(typeof PHASES)[number], Step> = {
  async resolve(deps, plan, state, signal) {
    const target = plan.rollbackOf === undefined ? undefined : deps.store.getDeploy(plan.rollbackOf);
    const kept = target?.containerId
      ? await deps.docker.inspectContainer(target.containerId, signal)
      : undefined;
    const reusable =
      kept && kept.id !== plan.previous?.containerId && kept.labels[LABEL_INSTANCE] === deps.instanceId;
    if (reusable) {
      state.kept = kept;
      state.imageRef = kept.image;
      state.digest = target?.digest;
      log(deps, state, `rolling back to the kept container ${kept.name} (${plan.tag})`);
    } else {
      const present = await deps.docker.inspectImage(plan.image.requested, signal);
      state.pull = pullFor(plan, present !== undefined);
      if (state.pull === 'missing') {
        throw new DeployError(
          'resolve',
          `image ${plan.image.requested} is not present on the Docker host and project ${plan.project} has ` +
            'pull_policy never; pull it by hand or set pull_policy to if-missing',
        );
      }
    }
    deps.store.updateDeploy(state.deployId, {
      imageRef: state.imageRef,
      ...(state.digest ? { digest: state.digest } : {}),
    });
  },

  async pull(deps, plan, state, signal) {
    if (state.kept) return log(deps, state, 'no pull: restarting a kept container');
    const requested = plan.image.requested;
    if (state.pull === 'pull') {
      if (plan.pull.credentialsProblem !== undefined)
        throw new DeployError('pull', plan.pull.credentialsProblem);
      const { credentials } = plan.pull;
      log(deps, state, `pulling ${requested}${credentials ? ` as ${credentials.username}` : ''}`);
      await deps.docker.pullImage(requested, { ...(credentials ? { credentials } : {}), signal });
    } else {
      log(deps, state, `no pull: ${requested} is present`);
    }
    const image = await deps.docker.inspectImage(requested, signal);
    if (!image) throw new DeployError('pull', `image ${requested} is not present after the pull`);
    state.digest = plan.image.digest ?? digestFor(plan.image.repository, image.repoDigests);
    state.imageRef = imageReference(plan.image.repository, plan.tag, state.digest);
    deps.store.updateDeploy(state.deployId, {
      imageRef: state.imageRef,
      ...(state.digest ? { digest: state.digest } : {}),
    });
  },

  async create(deps, plan, state, signal) {
    const { deployId } = state;
    if (state.kept) {
      state.container = state.kept;
      deps.store.updateDeploy(deployId, { containerId: state.kept.id, containerName: state.kept.name });
      return;
    }
    await deps.docker.ensureNetwork(plan.container.spec.network, signal);
    const { baseName, alternateName, envFile } = plan.container;
    const taken = (await deps.docker.inspectContainer(baseName, signal)) !== undefined;
    const name = taken ? alternateName : baseName;
    const spec = containerSpec(
      plan,
      name,
      state.imageRef,
      envFile === undefined ? {} : deps.readEnvFile(envFile),
    );
    deps.store.updateDeploy(deployId, { containerName: name });
    state.container = await deps.docker.createContainer(spec, signal);
    deps.store.updateDeploy(deployId, { containerId: state.container.id });
    log(deps, state, `created container ${name} from ${state.imageRef}`);
  },

  async start(deps, _plan, state, signal) {
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

  async health(deps, plan, state, signal) {
    const container = mustHaveContainer(state, 'health');
    const url = probeUrl({ ...plan.probe, container });
    const { health } = plan;
    log(
      deps,
      state,
      `health-checking ${url}: up to ${health.deadline_seconds} s, a try every ${health.interval_seconds} s, ${health.healthy_after} good answer(s) needed`,
    );
    await deps.waitUntilHealthy({
      docker: deps.docker,
      containerId: container.id,
      url,
      urlsOf: (current) => probeUrls({ ...plan.probe, container: current }),
      health: plan.health,
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

  async switch(deps, plan, state, signal) {
    const container = mustHaveContainer(state, 'switch');
    const target = stageRouteTarget(plan.route, container);
    try {
      state.snapshot = await deps.router.switchTo(target, signal);
    } catch (error) {
      // The write may have landed: the undo puts the route back as it was before.
      if (error instanceof RouteWriteError) state.snapshot = error.before;
      throw error;
    } finally {
      if (state.snapshot) deps.store.updateDeploy(state.deployId, { routeBefore: state.snapshot });
    }
    // NPM answers before nginx serves the change: the deploy is live once the proxy serves it.
    log(deps, state, await deps.router.confirm(target, signal));
    if (state.downSince !== undefined) {
      const downtimeMs = Math.max(0, deps.clock.now().getTime() - state.downSince);
      deps.store.updateDeploy(state.deployId, { downtimeMs });
      log(deps, state, `the site was down for ${formatMs(downtimeMs)} (strategy recreate)`);
    }
  },

  async persist(deps, plan, state) {
    const container = mustHaveContainer(state, 'persist');
    const { intent } = state;
    deps.store.setLive({
      project: plan.project,
      stage: plan.stage,
      deployId: state.deployId,
      tag: plan.tag,
      image: intent.image,
      ...(state.digest ? { digest: state.digest } : {}),
      imageRef: state.imageRef,
      containerId: container.id,
      containerName: container.name,
      since: deps.clock.now().toISOString(),
    });
    state.persisted = true;
    const url = stageUrl(plan.publicUrl, container.hostPort, container.hostAddress);
    if (url) deps.store.updateDeploy(state.deployId, { url });
  },

  async drain(deps, plan, state, signal) {
    // A router that counts in-flight requests drains by them, not by a timer.
    const old = plan.previous?.containerName;
    if (deps.router.drain && old !== undefined) return log(deps, state, await deps.router.drain(old, signal));
    if (plan.drainMs > 0) await deps.clock.sleep(plan.drainMs, signal);
  },

  async stop_old(deps, plan, state, signal) {
    await stopPrevious(deps, plan, state, mustHaveContainer(state, 'stop_old'), signal);
  },
};

/** 1234 -> "1.2 s", 450 -> "450 ms". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
