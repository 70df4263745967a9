import type { StageSettings } from '../config/deploy-settings.js';
import type { RouteTarget } from '../proxy/router.js';

/** What the route of a stage is made of, besides the container (StageSettings has all of it). */
export type StageRoute = Pick<StageSettings, 'project' | 'stage' | 'domain' | 'port' | 'healthPath'>;

/**
 * The route of a stage to one of its containers: what a deploy's switch, reconcile and the route
 * keeper all hand the proxy, built in this one place so that the same container gives the same
 * proxy host (and the router can tell that nothing changed).
 */
export function stageRouteTarget(
  route: StageRoute,
  container: {
    name: string;
    hostPort?: number | undefined;
    hostAddress?: string | undefined;
    instances?: { hostPort?: number; hostAddress?: string }[] | undefined;
  },
): RouteTarget {
  const replicas = (container.instances ?? []).flatMap((i) =>
    i.hostPort === undefined
      ? []
      : [{ hostPort: i.hostPort, ...(i.hostAddress === undefined ? {} : { hostAddress: i.hostAddress }) }],
  );
  return {
    project: route.project,
    stage: route.stage,
    domain: route.domain,
    containerName: container.name,
    port: route.port,
    healthPath: route.healthPath,
    ...(container.hostPort === undefined ? {} : { hostPort: container.hostPort }),
    ...(container.hostAddress === undefined ? {} : { hostAddress: container.hostAddress }),
    ...(replicas.length > 1 ? { replicas } : {}),
  };
}
