import { hasStage } from '../config/config-lookup.js';
import type { Config } from '../config/schema.js';
import { LABEL_PROJECT, LABEL_STAGE, type ContainerState, type DockerEngine } from '../docker/engine.js';
import type { Logger } from '../log/logger.js';

/** A stage that still has containers of ours but is no longer in the config. */
export interface Orphan {
  project: string;
  stage: string;
  containers: { id: string; name: string; state: ContainerState }[];
}

export interface OrphanDeps {
  config: Config;
  docker: DockerEngine;
  /** Only this instance's containers count: another docker-watcher's are not ours to judge. */
  instanceId: string;
  /** When given, each orphan is reported with logger.warn (start-up). */
  logger?: Logger;
}

/**
 * The managed containers of this instance whose project or stage the config no longer has,
 * grouped by stage. Nothing is removed: an orphan goes only by an explicit teardown
 * (POST /api/orphans/:project/:stage/teardown), since a config edit may be a mistake.
 */
export async function findOrphans(deps: OrphanDeps, signal?: AbortSignal): Promise<Orphan[]> {
  const containers = await deps.docker.listManagedContainers({ instanceId: deps.instanceId }, signal);
  const orphans = new Map<string, Orphan>();
  for (const container of containers) {
    const project = container.labels[LABEL_PROJECT] ?? '';
    const stage = container.labels[LABEL_STAGE] ?? '';
    // Preview stages (pr-<n> of a project with previews) are known too: the previews service removes them.
    if (hasStage(deps.config, project, stage)) continue;
    const key = `${project}/${stage}`;
    const orphan = orphans.get(key) ?? { project, stage, containers: [] };
    orphan.containers.push({ id: container.id, name: container.name, state: container.state });
    orphans.set(key, orphan);
  }
  const found = [...orphans.values()].sort((a, b) =>
    `${a.project}/${a.stage}`.localeCompare(`${b.project}/${b.stage}`),
  );
  for (const orphan of found) {
    deps.logger?.warn(
      `stage ${orphan.project}/${orphan.stage} is no longer in the config but still has containers; ` +
        `remove them with POST /api/orphans/${orphan.project}/${orphan.stage}/teardown`,
      { project: orphan.project, stage: orphan.stage, containers: orphan.containers.map((c) => c.name) },
    );
  }
  return found;
}
