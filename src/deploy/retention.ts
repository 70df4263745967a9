import { LABEL_DEPLOY, type ContainerDetails } from '../docker/engine.js';

/** Newest first: deploy ids sort by creation time; containers without one sort last. */
function newestFirst(a: ContainerDetails, b: ContainerDetails): number {
  const left = a.labels[LABEL_DEPLOY] ?? a.startedAt ?? '';
  const right = b.labels[LABEL_DEPLOY] ?? b.startedAt ?? '';
  return left < right ? 1 : left > right ? -1 : 0;
}

/**
 * The stopped containers of a stage beyond the `keep` newest, which may be removed. Running
 * containers and `protectedIds` (the live one, the one being deployed) are never chosen.
 */
export function versionsToRemove(
  containers: readonly ContainerDetails[],
  keep: number,
  protectedIds: ReadonlySet<string>,
): ContainerDetails[] {
  const stopped = containers.filter(
    (c) => !protectedIds.has(c.id) && c.state !== 'running' && c.state !== 'restarting',
  );
  return [...stopped].sort(newestFirst).slice(keep);
}
