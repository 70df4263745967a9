import { errorMessage } from '../core/errors.js';
import type { RouteTarget } from '../proxy/router.js';
import type { EngineDeps } from './engine-deps.js';
import { stageRouteTarget } from './route-target.js';

/**
 * The route of every configured stage whose live container runs, as the store names it: what an
 * in-memory router serves at start-up, before reconcile runs. After a crash at any phase of a
 * swap the live record names the container that serves: the old one until `persist` ended (the
 * new one is then undone by reconcile), the new one from then on (reconcile completes it), so
 * traffic reaches it at once; reconcile and the route keeper then correct the table.
 */
export async function liveRouteTargets(
  deps: Pick<EngineDeps, 'settings' | 'docker' | 'store' | 'logger'>,
  signal?: AbortSignal,
): Promise<RouteTarget[]> {
  const live = deps.store.listLive().filter((l) => deps.settings.hasStage(l.project, l.stage));
  const targets = await Promise.all(
    live.map(async (l) => {
      try {
        const container = await deps.docker.inspectContainer(l.containerId, signal);
        if (container?.state !== 'running') return undefined;
        return stageRouteTarget(deps.settings.stage(l.project, l.stage), container);
      } catch (error) {
        deps.logger.warn('could not look at a live container at start-up; its route waits for reconcile', {
          project: l.project,
          stage: l.stage,
          error: errorMessage(error),
        });
        return undefined;
      }
    }),
  );
  return targets.filter((t) => t !== undefined);
}
