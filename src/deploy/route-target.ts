import { findProject } from '../config/config-lookup.js';
import { stageDomain } from '../config/domains.js';
import type { Config } from '../config/schema.js';
import type { RouteTarget } from '../proxy/router.js';

/**
 * The route of a stage to one of its containers: what a deploy's switch, reconcile and the route
 * keeper all hand the proxy, so that the same container gives the same proxy host (and the
 * router can tell that nothing changed).
 */
export function stageRouteTarget(
  config: Config,
  project: string,
  stage: string,
  container: { name: string; hostPort?: number | undefined },
): RouteTarget {
  const projectConfig = findProject(config, project);
  return {
    project,
    stage,
    domain: stageDomain(config, project, stage),
    containerName: container.name,
    port: projectConfig.port,
    healthPath: projectConfig.healthcheck,
    ...(container.hostPort === undefined ? {} : { hostPort: container.hostPort }),
  };
}
