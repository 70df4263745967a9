import type { RouteSnapshot } from '../../core/deploy-types.js';
import type { Reach } from '../../deploy/probe-url.js';
import { probeUrl } from '../../deploy/probe-url.js';
import type { ProxyRouter, RouteTarget } from '../router.js';
import { RouteTable } from './route-table.js';

/** What the built-in router needs to know, resolved by the root from global.router. */
export interface BuiltinRouterSettings {
  /** How the router reaches containers: the same rule as the health checks (global.docker.reach). */
  reach: Reach;
  /** global.docker.publish_host */
  publishHost: string;
  drainTimeoutMs: number;
}

/** The built-in router as the deployer sees it: the Router port plus a drain by in-flight work. */
export interface BuiltinRouter extends ProxyRouter {
  readonly table: RouteTable;
  drain(containerName: string, signal?: AbortSignal): Promise<string>;
}

interface BuiltinSnapshotState {
  target: RouteTarget;
}

/**
 * The Router port on an in-memory route table (src/proxy/builtin/route-table.ts): a switch is a
 * Map write that the next request sees, so there is nothing to reload and nothing to confirm
 * beyond the table itself; the listener (router-server.ts) reads the same table.
 */
export function createBuiltinRouter(settings: BuiltinRouterSettings): BuiltinRouter {
  const table = new RouteTable();
  const url = (
    target: RouteTarget,
    at: { hostPort?: number | undefined; hostAddress?: string | undefined },
  ) =>
    probeUrl({
      reach: settings.reach,
      container: { name: target.containerName, hostPort: at.hostPort, hostAddress: at.hostAddress },
      port: target.port,
      path: '',
      publishHost: settings.publishHost,
    });
  // On the network a service's name reaches its tasks through the Swarm's own balancing.
  const upstreamsOf = (target: RouteTarget): string[] =>
    target.replicas && settings.reach !== 'network'
      ? target.replicas.map((replica) => url(target, replica))
      : [url(target, target)];
  const snapshotOf = (domain: string): RouteSnapshot => {
    const route = table.get(domain);
    return route ? { domain, state: { target: route.target } satisfies BuiltinSnapshotState } : { domain };
  };

  return {
    table,
    async switchTo(target) {
      const before = snapshotOf(target.domain);
      table.set(target.domain, { target, upstreams: upstreamsOf(target) });
      return before;
    },
    async restore(snapshot) {
      const state = snapshot.state as BuiltinSnapshotState | undefined;
      if (state?.target)
        table.set(snapshot.domain, { target: state.target, upstreams: upstreamsOf(state.target) });
      else table.delete(snapshot.domain);
    },
    async remove(domain) {
      return table.delete(domain);
    },
    async confirm(target) {
      const route = table.get(target.domain);
      if (route?.target.containerName !== target.containerName) {
        throw new Error(`the built-in router has no route of ${target.domain} to ${target.containerName}`);
      }
      return `built-in router: ${target.domain} -> ${route.upstreams.join(', ')} (switched in memory, no reload)`;
    },
    async drain(containerName, signal) {
      const open = table.inFlight(containerName);
      if (open === 0) return `drain: nothing in flight on ${containerName}`;
      const started = Date.now();
      const closed = await table.drain(containerName, settings.drainTimeoutMs, signal);
      const took = Date.now() - started;
      return closed === 0
        ? `drain: ${open} request(s) in flight on ${containerName} finished in ${took} ms`
        : `drain: closed ${closed} request(s)/connection(s) still open on ${containerName} after the drain timeout (${took} ms)`;
    },
  };
}
