import type { DockerEngine } from '../docker/engine.js';
import type { ProxyRouter } from '../proxy/router.js';

/**
 * The two ports a deploy plan is carried out through, each defined by what the plan needs and
 * nothing more. Their contract (what the deployer may rely on) is pinned by the suites in
 * test/contract/, run against the in-memory fakes and the real adapters alike.
 */

/**
 * Where containers run: today the single Docker engine (src/docker/dockerode-engine.ts); a
 * Docker Swarm next. The operations tools (logs, stats, restart) use the wider DockerEngine.
 */
export type Runtime = Pick<
  DockerEngine,
  | 'ping'
  | 'pullImage'
  | 'inspectImage'
  | 'ensureNetwork'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'inspectContainer'
  | 'listManagedContainers'
  | 'containerLogs'
  | 'watchEvents'
>;

/**
 * What routes a stage's domain to one of its containers: today Nginx Proxy Manager
 * (src/proxy/npm/npm-router.ts) or none (noProxyRouter); a built-in router next.
 */
export type Router = ProxyRouter;
