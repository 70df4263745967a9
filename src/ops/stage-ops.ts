import type { Config } from '../config/schema.js';
import type { LiveVersion } from '../core/deploy-types.js';
import { NotFoundError } from '../core/errors.js';
import type {
  ContainerDetails,
  ContainerStats,
  DockerEngine,
  LogLine,
  LogStreamOptions,
} from '../docker/engine.js';
import type { Store } from '../store/store.js';
import { findOrphans, type Orphan } from './orphans.js';

export interface StageOpsDeps {
  config: Config;
  docker: DockerEngine;
  store: Store;
  instanceId: string;
}

/** Resource use of a stage's live container. */
export interface StageResources {
  project: string;
  stage: string;
  tag: string;
  containerName: string;
  stats: ContainerStats;
}

/** What the owner of a running app asks about it: its output, its resources, leftovers. */
export interface StageOps {
  /** The stage's live container; NotFoundError when nothing is live or its container is gone. */
  liveContainer(project: string, stage: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /** Streams a container's log (see DockerEngine.streamLogs). */
  streamLogs(
    containerId: string,
    options: Omit<LogStreamOptions, 'timestamps'>,
    onLine: (line: LogLine) => void,
  ): Promise<void>;
  /** The live container's resource use; NotFoundError when nothing is live on the stage. */
  stats(project: string, stage: string, signal?: AbortSignal): Promise<StageResources>;
  /** Resource use of every live stage of a project. */
  projectStats(project: string, signal?: AbortSignal): Promise<StageResources[]>;
  orphans(signal?: AbortSignal): Promise<Orphan[]>;
}

function liveOf(store: Store, project: string, stage: string): LiveVersion {
  const live = store.getLive(project, stage);
  if (!live) {
    throw new NotFoundError(
      `nothing is live on ${project}/${stage}: deploy a version first (GET /api/projects/${project} lists what is live)`,
    );
  }
  return live;
}

/** Samples one live version's container; a container that is gone reports state `gone`. */
async function sample(
  docker: DockerEngine,
  live: LiveVersion,
  signal?: AbortSignal,
): Promise<StageResources> {
  const stats = await docker.containerStats(live.containerId, signal);
  return {
    project: live.project,
    stage: live.stage,
    tag: live.tag,
    containerName: live.containerName,
    stats,
  };
}

/**
 * Resource use of every live stage, sampled in parallel (each sample takes about a second:
 * the engine waits for a second reading to compute CPU %). For metrics exposure.
 */
export async function collectStageStats(
  deps: { docker: DockerEngine; store: Store },
  signal?: AbortSignal,
): Promise<StageResources[]> {
  return Promise.all(deps.store.listLive().map((live) => sample(deps.docker, live, signal)));
}

/** StageOps over the Docker engine and the store's live versions. */
export function createStageOps(deps: StageOpsDeps): StageOps {
  const { docker, store } = deps;
  return {
    async liveContainer(project, stage, signal) {
      const live = liveOf(store, project, stage);
      const container = await docker.inspectContainer(live.containerId, signal);
      if (!container) {
        throw new NotFoundError(
          `the live container ${live.containerName} of ${project}/${stage} is gone; deploy again or roll back`,
        );
      }
      return container;
    },
    streamLogs: (containerId, options, onLine) =>
      docker.streamLogs(containerId, { ...options, timestamps: true }, onLine),
    stats: (project, stage, signal) => sample(docker, liveOf(store, project, stage), signal),
    projectStats: (project, signal) =>
      Promise.all(
        store
          .listLive()
          .filter((live) => live.project === project)
          .map((live) => sample(docker, live, signal)),
      ),
    orphans: (signal) => findOrphans(deps, signal),
  };
}
