import { existsSync, readFileSync } from 'node:fs';
import { DeployError } from '../core/errors.js';

/** How the app reaches a container: through its published host port, or by name on the shared network. */
export type Reach = 'host' | 'network';

export interface ProbeTarget {
  reach: Reach;
  /** hostAddress: the Docker host the port is published on when not this one (a Swarm task's node). */
  container: { name: string; hostPort?: number | undefined; hostAddress?: string | undefined };
  /** Port the app listens on inside the container. */
  port: number;
  /** HTTP path of the health check, starting with '/'. */
  path: string;
  /** Address the container port is published on (global.docker.publish_host). */
  publishHost: string;
}

const ANY_ADDRESS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The URL a health probe asks. `host`: the published port on 127.0.0.1, or on publishHost when
 * the port is published on one specific address only, or on the container's hostAddress when
 * it runs on another Docker host (a Swarm task on another node). `network`: the container's
 * name and app port on the shared network.
 */
export function probeUrl(target: ProbeTarget): string {
  const { reach, container, port, path, publishHost } = target;
  if (reach === 'network') return `http://${container.name}:${port}${path}`;
  if (container.hostPort === undefined) {
    throw new DeployError(
      'health',
      `container ${container.name} has no published host port for port ${port}: ` +
        'check that the app listens on the configured port, or set global.docker.reach to network',
    );
  }
  const host = container.hostAddress ?? (ANY_ADDRESS.has(publishHost) ? '127.0.0.1' : publishHost);
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${bracketed}:${container.hostPort}${path}`;
}

/**
 * The URLs that probe every replica behind a target: one per instance of a Swarm service (each
 * task's own published port on its own node, or its name on the network), else probeUrl's one.
 */
export function probeUrls(
  target: Omit<ProbeTarget, 'container'> & {
    container: ProbeTarget['container'] & {
      instances?: { name: string; hostPort?: number; hostAddress?: string }[] | undefined;
    };
  },
): string[] {
  const { instances } = target.container;
  // On the network the service's name is all there is (its tasks have no names of their own
  // there): the probe reaches whichever task answers. Through the host, each task's own port.
  if (instances === undefined || target.reach === 'network') return [probeUrl(target)];
  return instances.map((instance) => probeUrl({ ...target, container: instance }));
}

/** What detectReach reads; injectable so tests need not run inside a container. */
export interface ContainerSigns {
  exists(path: string): boolean;
  read(path: string): string | undefined;
}

const realSigns: ContainerSigns = {
  exists: existsSync,
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/**
 * Resolves global.docker.reach: `auto` is `network` when docker-watcher itself runs in a
 * container (it then cannot reach the host's 127.0.0.1), otherwise `host`.
 */
export function detectReach(setting: Reach | 'auto', signs: ContainerSigns = realSigns): Reach {
  if (setting !== 'auto') return setting;
  if (signs.exists('/.dockerenv')) return 'network';
  // cgroup v1 names docker in /proc/1/cgroup; under cgroup v2 only the mounts still show it.
  const cgroup = signs.read('/proc/1/cgroup') ?? '';
  if (/docker|containerd|kubepods/.test(cgroup)) return 'network';
  const mounts = signs.read('/proc/self/mountinfo') ?? '';
  return /\/docker\/containers\//.test(mounts) ? 'network' : 'host';
}
