import type { SwarmConfig } from '../../config/schema.js';

/** Where a stage's versions run (README "Running on a Docker Swarm"). */
export type RuntimeKind = 'docker' | 'swarm';

/** How a stage's versions run as Swarm services, defaults applied. */
export interface SwarmServiceSettings {
  replicas: number;
  /** The attachable overlay network the services join (NPM joins it to reach them by name). */
  network: string;
  /** Placement constraints, as `docker service create --constraint` takes them. */
  placement: string[];
  update: { parallelism: number; delaySeconds: number; order: 'start-first' | 'stop-first' };
  /** How long the tasks of a new version may take to be scheduled and running. */
  startTimeoutSeconds: number;
}

/** A project's swarm settings over the global ones, then the defaults. */
export function resolveSwarmSettings(
  global: SwarmConfig,
  project: SwarmConfig | undefined,
  sharedNetwork: string,
): SwarmServiceSettings {
  return {
    replicas: project?.replicas ?? global.replicas ?? 1,
    network: project?.network ?? global.network ?? `${sharedNetwork}-swarm`,
    placement: [...(project?.placement ?? global.placement ?? [])],
    update: {
      parallelism: project?.update?.parallelism ?? global.update?.parallelism ?? 1,
      delaySeconds: project?.update?.delay_seconds ?? global.update?.delay_seconds ?? 0,
      order: project?.update?.order ?? global.update?.order ?? 'start-first',
    },
    startTimeoutSeconds: project?.start_timeout_seconds ?? global.start_timeout_seconds ?? 60,
  };
}
