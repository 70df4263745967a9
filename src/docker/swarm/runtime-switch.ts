import type { ContainerDetails, DockerEngine } from '../engine.js';
import { LABEL_PROJECT } from '../engine.js';
import { serviceEventPasser, SWARM_SERVICE_LABEL, taskEventToService } from './swarm-engine.js';

export interface RuntimeSwitchOptions {
  /** Containers on the engine. */
  host: DockerEngine;
  /** Services of the Swarm the same engine manages. */
  swarm: DockerEngine;
  /** Whether a project runs on the Swarm (its runtime setting, resolved at the root). */
  onSwarm(project: string): boolean;
  /** The overlay networks of the Swarm's projects (every other name is a bridge network). */
  swarmNetworks: ReadonlySet<string>;
}

/**
 * One DockerEngine over both runtimes, so the deploy engine never asks which one a stage uses:
 * a create goes to the project's runtime; every call by id goes to the runtime that owns the id
 * (remembered, or found by asking the Swarm first); lists are the union. The containers of a
 * service's tasks carry the stage's labels too, but they are the service's, not versions of
 * their own: they are left out of the host's answers and their events are the service's.
 */
export function createRuntimeSwitch(options: RuntimeSwitchOptions): DockerEngine {
  const { host, swarm } = options;
  const owner = new Map<string, DockerEngine>();
  const isTask = (container: ContainerDetails) => SWARM_SERVICE_LABEL in container.labels;

  const remember = (details: ContainerDetails | undefined, runtime: DockerEngine) => {
    if (details) owner.set(details.id, runtime);
    return details;
  };

  const inspectContainer = async (idOrName: string, signal?: AbortSignal) => {
    const known = owner.get(idOrName);
    const service = known === host ? undefined : await swarm.inspectContainer(idOrName, signal);
    if (service || known === swarm) return remember(service, swarm);
    const container = await host.inspectContainer(idOrName, signal);
    return container === undefined || isTask(container) ? undefined : remember(container, host);
  };

  const runtimeOf = async (id: string, signal?: AbortSignal): Promise<DockerEngine> => {
    const known = owner.get(id);
    if (known) return known;
    return (await swarm.inspectContainer(id, signal)) ? swarm : host;
  };

  return {
    ping: (signal) => host.ping(signal),
    pullImage: (ref, pullOptions) => host.pullImage(ref, pullOptions),
    inspectImage: (ref, signal) => host.inspectImage(ref, signal),
    ensureNetwork: (name, signal) =>
      (options.swarmNetworks.has(name) ? swarm : host).ensureNetwork(name, signal),
    async createContainer(spec, signal) {
      const runtime = options.onSwarm(spec.labels[LABEL_PROJECT] ?? '') ? swarm : host;
      const created = await runtime.createContainer(spec, signal);
      owner.set(created.id, runtime);
      return created;
    },
    startContainer: async (id, signal) => (await runtimeOf(id, signal)).startContainer(id, signal),
    stopContainer: async (id, stopOptions) =>
      (await runtimeOf(id, stopOptions?.signal)).stopContainer(id, stopOptions),
    removeContainer: async (id, signal) => (await runtimeOf(id, signal)).removeContainer(id, signal),
    restartContainer: async (id, signal) => (await runtimeOf(id, signal)).restartContainer(id, signal),
    rename: async (id, newName, signal) => (await runtimeOf(id, signal)).rename(id, newName, signal),
    inspectContainer,
    async listManagedContainers(filter, signal) {
      const [containers, services] = await Promise.all([
        host.listManagedContainers(filter, signal),
        swarm.listManagedContainers(filter, signal),
      ]);
      const own = containers.filter((container) => !isTask(container));
      for (const container of own) owner.set(container.id, host);
      for (const service of services) owner.set(service.id, swarm);
      return [...own, ...services];
    },
    containerLogs: async (id, logOptions) =>
      (await runtimeOf(id, logOptions?.signal)).containerLogs(id, logOptions),
    streamLogs: async (id, logOptions, onLine) =>
      (await runtimeOf(id, logOptions.signal)).streamLogs(id, logOptions, onLine),
    containerStats: async (id, signal) => (await runtimeOf(id, signal)).containerStats(id, signal),
    watchEvents(onEvent, signal) {
      const pass = serviceEventPasser(swarm, onEvent, signal);
      return host.watchEvents((event) => {
        const serviceEvent = taskEventToService(event);
        if (serviceEvent) pass(serviceEvent);
        else onEvent(event);
      }, signal);
    },
  };
}
