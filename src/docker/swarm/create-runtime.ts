import type { DeploySettings } from '../../config/deploy-settings.js';
import { ConfigError } from '../../core/errors.js';
import { createDockerodeEngine } from '../dockerode-engine.js';
import type { DockerEngine } from '../engine.js';
import { LABEL_PROJECT, LABEL_STAGE } from '../engine.js';
import { Dockerode } from '../lean-dockerode.js';
import { createRuntimeSwitch } from './runtime-switch.js';
import { createSwarmEngine } from './swarm-engine.js';

export interface RuntimeOptions {
  settings: DeploySettings;
  socketPath: string;
  /** Labels of the networks the runtime creates (the instance id). */
  networkLabels: Record<string, string>;
  /** The engine's containers (default: the dockerode engine on socketPath). */
  host?: DockerEngine;
}

/** The projects of the config that run on a Swarm. */
export function swarmProjects(settings: DeploySettings): string[] {
  return [
    ...new Set(settings.stages.filter((stage) => stage.runtime === 'swarm').map((stage) => stage.project)),
  ];
}

/**
 * The Runtime of the configured stages: the engine's containers when no project runs on a
 * Swarm, else one runtime over containers and Swarm services (runtime-switch.ts). The root
 * checks first (assertSwarmManager) that the engine manages a Swarm.
 */
export function createRuntime(options: RuntimeOptions): DockerEngine {
  const { settings, socketPath, networkLabels } = options;
  const host = options.host ?? createDockerodeEngine({ socketPath, networkLabels });
  const onSwarm = new Set(swarmProjects(settings));
  if (onSwarm.size === 0) return host;
  const swarm = createSwarmEngine({
    socketPath,
    local: host,
    networkLabels,
    serviceSettings(labels) {
      const stage = settings.stage(labels[LABEL_PROJECT] ?? '', labels[LABEL_STAGE] ?? '');
      if (stage.swarm === undefined)
        throw new ConfigError(`project ${stage.project} does not run on the Swarm (runtime: docker)`, []);
      return { swarm: stage.swarm, ...(stage.pullCredentials ? { credentials: stage.pullCredentials } : {}) };
    },
  });
  return createRuntimeSwitch({
    host,
    swarm,
    onSwarm: (project) => onSwarm.has(project),
    swarmNetworks: new Set(settings.stages.flatMap((stage) => (stage.swarm ? [stage.swarm.network] : []))),
  });
}

/**
 * Throws a ConfigError naming the projects unless the engine on socketPath is an active Swarm
 * manager (nothing to check when no project runs on a Swarm).
 */
export async function assertSwarmManager(socketPath: string, projects: readonly string[]): Promise<void> {
  if (projects.length === 0) return;
  const docker = new Dockerode({ socketPath });
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  if (state === 'active' && info.Swarm?.ControlAvailable === true) return;
  const why =
    state === 'active'
      ? 'this node is a Swarm worker, not a manager: point global.docker.socket at a manager'
      : `the Docker engine at ${socketPath} is not part of a Swarm (state: ${state}): run \`docker swarm init\` on it, or set runtime: docker`;
  throw new ConfigError(`runtime swarm (projects ${projects.join(', ')}): ${why}`, [
    { path: 'runtime', message: why },
  ]);
}
