import type Docker from 'dockerode';
import { ExternalError } from '../../core/errors.js';
import { dockerCall, dockerCallOrMissing, dockerError, dockerStatus } from '../docker-errors.js';
import type {
  ContainerDetails,
  ContainerEvent,
  DockerEngine,
  ListFilter,
  RegistryCredentials,
} from '../engine.js';
import { LABEL_PROJECT } from '../engine.js';
import { Dockerode } from '../lean-dockerode.js';
import { logLines } from '../log-frames.js';
import { streamLogs } from '../stream-logs.js';
import { sumStats } from './service-stats.js';
import {
  failureReason,
  failuresSinceStart,
  pendingReason,
  runningCount,
  startedReplicas,
  toServiceDetails,
  type RawService,
  type RawTask,
} from './service-details.js';
import { LABEL_REPLICAS, registryAuth, serviceCreateBody } from './service-spec.js';
import type { SwarmServiceSettings } from './swarm-settings.js';
import { swarmNodes, type RawNode, type SwarmNode } from './swarm-nodes.js';
import { labelFilters } from '../label-filters.js';

/** Label the engine puts on each task's container: the service it belongs to. */
export const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.id';

export interface SwarmEngineOptions {
  socketPath?: string;
  /** The same engine's containers and images: pulls, image inspects, task stats and events. */
  local: DockerEngine;
  /** How a stage's services run (replicas, placement...) and the login its nodes pull with. */
  serviceSettings(labels: Record<string, string>): {
    swarm: SwarmServiceSettings;
    credentials?: RegistryCredentials;
  };
  /** Labels put on the overlay networks it creates. */
  networkLabels?: Record<string, string>;
  /** Between polls of the tasks while a service starts or stops (default 250 ms). */
  pollMs?: number;
}

/** An event of a task's container, as an event of its service (the id the deploy engine knows). */
export function taskEventToService(event: ContainerEvent): ContainerEvent | undefined {
  const serviceId = event.labels[SWARM_SERVICE_LABEL];
  return serviceId === undefined ? undefined : { ...event, containerId: serviceId };
}

/**
 * Returns what hands a service's events on, in order per service; a `start` only once the
 * service reads as running with every port (or will not run): the engine starts a task's
 * container before the Swarm counts the task as running and reports its port, and a route
 * keeper told too early would find the service still restarting.
 */
export function serviceEventPasser(
  swarm: Pick<DockerEngine, 'inspectContainer'>,
  onEvent: (event: ContainerEvent) => void,
  signal: AbortSignal,
  pollMs = 200,
): (event: ContainerEvent) => void {
  const queues = new Map<string, Promise<void>>();
  const settled = async (serviceId: string) => {
    for (let waited = 0; waited < 15_000 && !signal.aborted; waited += pollMs) {
      const service = await swarm.inspectContainer(serviceId, signal).catch(() => undefined);
      if (service === undefined || service.state === 'exited' || settledService(service)) return;
      await sleep(pollMs, signal);
    }
  };
  return (event) => {
    const id = event.containerId;
    const next = (queues.get(id) ?? Promise.resolve())
      .then(() => (event.action === 'start' ? settled(id) : undefined))
      .then(() => {
        if (!signal.aborted) onEvent(event);
      })
      .catch(() => undefined);
    queues.set(id, next);
    void next.then(() => {
      if (queues.get(id) === next) queues.delete(id);
    });
  };
}

/** Every replica runs and has its port (a task counts as running a moment before its port shows). */
function settledService(service: ContainerDetails): boolean {
  const wanted = Number(service.labels[LABEL_REPLICAS] ?? 1);
  return service.state === 'running' && (service.instances?.length ?? 0) >= wanted;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      },
      { once: true },
    );
  });

/**
 * The DockerEngine on a Docker Swarm manager: each "container" the deploy engine creates is a
 * service (one version of a stage, its replicas its tasks), so blue-green, rollback, reconcile
 * and teardown run unchanged. See service-spec.ts for how a service is published and
 * service-details.ts for how its tasks read as one container. Image operations use the
 * manager's own engine (`local`) to resolve digests; each node pulls with the registry login
 * passed at service create.
 */
export function createSwarmEngine(options: SwarmEngineOptions): DockerEngine {
  const docker = new Dockerode({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
  const { local } = options;
  const pollMs = options.pollMs ?? 250;
  const signalOption = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } =>
    signal === undefined ? {} : { abortSignal: signal };
  const networks = new Map<string, Promise<void>>();

  const rawService = (idOrName: string, signal?: AbortSignal) =>
    dockerCallOrMissing('inspect service', idOrName, signal, async () => {
      const service = (await docker.getService(idOrName).inspect(signalOption(signal))) as RawService & {
        Version?: { Index?: number };
        Spec: Record<string, unknown> & RawService['Spec'];
        Endpoint?: { Spec?: { Ports?: { TargetPort?: number }[] } };
      };
      // Inspect matches an id prefix too: only the exact id or name is this service.
      return service.ID === idOrName || service.Spec.Name === idOrName || service.ID.startsWith(idOrName)
        ? service
        : undefined;
    });

  const tasksOf = (serviceId: string, signal?: AbortSignal): Promise<RawTask[]> =>
    dockerCall(
      'list tasks of service',
      serviceId,
      signal,
      async () =>
        (await docker.listTasks({ filters: { service: [serviceId] }, ...signalOption(signal) })) as RawTask[],
    );

  // The engine's own node id, read once: it changes only when the engine leaves the Swarm.
  let localNode: Promise<string> | undefined;
  const localNodeId = (signal?: AbortSignal): Promise<string> => {
    localNode ??= dockerCall(
      'read the Swarm node id of',
      options.socketPath ?? 'the engine',
      signal,
      async () => {
        const info = (await docker.info()) as { Swarm?: { NodeID?: string } };
        return info.Swarm?.NodeID ?? '';
      },
    );
    // Not kept when it failed or the engine was outside a Swarm (no id yet).
    localNode.then(
      (id) => {
        if (id === '') localNode = undefined;
      },
      () => (localNode = undefined),
    );
    return localNode;
  };

  /**
   * The nodes the tasks are on: read from the Swarm (GET /nodes) only when a task is on another
   * node than this one, so a single-node Swarm costs no extra call.
   */
  const nodesOf = async (
    tasks: readonly RawTask[],
    signal?: AbortSignal,
  ): Promise<Map<string, SwarmNode>> => {
    const local = await localNodeId(signal);
    if (tasks.every((task) => task.NodeID === undefined || task.NodeID === '' || task.NodeID === local))
      return swarmNodes([{ ID: local, Status: { State: 'ready' } }], local);
    const nodes = await dockerCall(
      'list nodes of',
      'the Swarm',
      signal,
      async () => (await docker.listNodes(signalOption(signal))) as RawNode[],
    );
    return swarmNodes(nodes, local);
  };

  const detailsOf = async (
    service: RawService & { Endpoint?: { Spec?: { Ports?: { TargetPort?: number }[] } } },
    signal?: AbortSignal,
  ) => {
    const tasks = await tasksOf(service.ID, signal);
    return toServiceDetails(
      service,
      tasks,
      service.Endpoint?.Spec?.Ports?.[0]?.TargetPort,
      await nodesOf(tasks, signal),
    );
  };

  const inspectContainer = async (
    idOrName: string,
    signal?: AbortSignal,
  ): Promise<ContainerDetails | undefined> => {
    const service = await rawService(idOrName, signal);
    return service === undefined ? undefined : detailsOf(service, signal);
  };

  const mustInspect = async (id: string, action: string, signal?: AbortSignal) => {
    const service = await rawService(id, signal);
    if (service === undefined)
      throw new ExternalError('docker', `${action} service ${id}: no such service`, { status: 404 });
    return service;
  };

  /** Sets the replica count (and bumps ForceUpdate when asked), with the spec as it is now. */
  const updateService = async (
    id: string,
    action: string,
    change: (spec: Record<string, unknown>) => void,
    signal?: AbortSignal,
  ) => {
    for (let attempt = 1; ; attempt++) {
      const service = await mustInspect(id, action, signal);
      const spec = structuredClone(service.Spec);
      change(spec);
      try {
        await docker
          .getService(service.ID)
          .update({ version: service.Version?.Index, ...spec, ...signalOption(signal) });
        return service;
      } catch (error) {
        // The engine updates a service itself too (ports, tasks): read it again and retry.
        if (attempt < 10 && /out of sequence/i.test(String(error)) && signal?.aborted !== true) {
          await sleep(50 * attempt, signal);
          continue;
        }
        throw dockerError(`${action} service`, service.Spec.Name, error, signal);
      }
    }
  };

  const scale = (id: string, replicas: number, action: string, signal?: AbortSignal) =>
    updateService(
      id,
      action,
      (spec) => {
        spec.Mode = { Replicated: { Replicas: replicas } };
      },
      signal,
    );

  const ensureOverlay = (name: string, signal?: AbortSignal): Promise<void> => {
    const known = networks.get(name);
    if (known) return known;
    const ensure = (async () => {
      const found = await dockerCall('list networks named', name, signal, () =>
        docker.listNetworks({ filters: { name: [name] }, ...signalOption(signal) }),
      );
      const same = found.find((network) => network.Name === name);
      if (same && same.Driver !== 'overlay')
        throw new ExternalError(
          'docker',
          `network ${name} is a ${same.Driver} network; Swarm services need an attachable overlay network: set swarm.network to another name`,
        );
      if (same) return;
      try {
        await docker.createNetwork({
          Name: name,
          Driver: 'overlay',
          Attachable: true,
          CheckDuplicate: true,
          Labels: { ...options.networkLabels },
          ...signalOption(signal),
        });
      } catch (error) {
        if (dockerStatus(error) !== 409) throw dockerError('create overlay network', name, error, signal);
      }
    })();
    networks.set(name, ensure);
    ensure.catch(() => networks.delete(name));
    return ensure;
  };

  /**
   * Waits until every wanted task runs (or waits for its HEALTHCHECK). Fails at once, naming
   * the reason, when a task fails or no node satisfies the placement constraints; never waits
   * past the start timeout.
   */
  const waitForTasks = async (
    service: RawService & { Spec: { TaskTemplate?: { Placement?: { Constraints?: string[] } } } },
    settings: SwarmServiceSettings,
    signal?: AbortSignal,
  ) => {
    const name = service.Spec.Name;
    const deadline = Date.now() + settings.startTimeoutSeconds * 1000;
    for (;;) {
      const fresh = await mustInspect(service.ID, 'start', signal);
      const tasks = await tasksOf(service.ID, signal);
      const details = toServiceDetails(
        fresh,
        tasks,
        fresh.Endpoint?.Spec?.Ports?.[0]?.TargetPort,
        await nodesOf(tasks, signal),
      );
      // Started means every task runs with its port: the health gate and the switch read it next.
      if (runningCount(tasks) >= startedReplicas(fresh) && details.state === 'running') return;
      const [failure] = failuresSinceStart(fresh, tasks);
      if (failure) {
        const code = failure.Status?.ContainerStatus?.ExitCode;
        const reason = failureReason(failure);
        // A node that cannot pull (no login, registry unreachable from it) says only this.
        const hint = /no such image/i.test(reason)
          ? "; the node could not pull it: check that every node reaches the registry and the project's registry login"
          : '';
        throw new ExternalError(
          'docker',
          `a task of service ${name} ${code === undefined || code === 0 ? 'failed' : `exited with code ${code}`} while starting: ${reason}${hint}`,
        );
      }
      if (details.lost !== undefined)
        throw new ExternalError('docker', `service ${name} cannot start: ${details.lost}`);
      const pending = pendingReason(tasks);
      const constraints = service.Spec.TaskTemplate?.Placement?.Constraints ?? [];
      if (pending !== undefined && /no suitable node/i.test(pending))
        throw new ExternalError(
          'docker',
          `no node of the Swarm can run service ${name}` +
            (constraints.length > 0 ? ` with placement ${constraints.join(', ')}` : '') +
            `: ${pending}; check swarm.placement and the nodes' labels (docker node ls, docker node inspect)`,
        );
      if (Date.now() >= deadline) {
        const up = details.instances?.length ?? 0;
        throw new ExternalError(
          'docker',
          `service ${name} has ${up} of ${startedReplicas(fresh)} tasks running after ${settings.startTimeoutSeconds} s` +
            (pending === undefined ? '' : `: ${pending}`) +
            '; raise swarm.start_timeout_seconds or check docker service ps',
        );
      }
      await sleep(pollMs, signal);
    }
  };

  const logsOf = (id: string) =>
    docker.getService(id) as unknown as { logs(options: object): Promise<unknown> };

  const engine: DockerEngine = {
    async ping(signal) {
      await dockerCall('ping', options.socketPath ?? '/var/run/docker.sock', signal, () =>
        (docker as unknown as { ping(options: object): Promise<unknown> }).ping(signalOption(signal)),
      );
    },
    pullImage: (ref, pullOptions) => local.pullImage(ref, pullOptions),
    inspectImage: (ref, signal) => local.inspectImage(ref, signal),
    ensureNetwork: ensureOverlay,

    async createContainer(spec, signal) {
      const { swarm, credentials } = options.serviceSettings(spec.labels);
      const auth = registryAuth(credentials);
      const created = await dockerCall(`create service ${spec.name} from`, spec.image, signal, () =>
        (
          docker as unknown as { createService(auth: unknown, body: object): Promise<{ id: string }> }
        ).createService(auth, { ...serviceCreateBody(spec, swarm), ...signalOption(signal) }),
      );
      const details = await inspectContainer(created.id, signal);
      if (details === undefined)
        throw new ExternalError('docker', `create service ${spec.name}: it vanished right after creation`);
      return details;
    },

    async startContainer(id, signal) {
      const service = await mustInspect(id, 'start', signal);
      const { swarm } = options.serviceSettings(service.Spec.Labels ?? {});
      await scale(id, startedReplicas(service), 'start', signal);
      await waitForTasks(service, swarm, signal);
    },

    async stopContainer(id, stopOptions = {}) {
      const { timeoutSeconds = 10, signal } = stopOptions;
      const service = await rawService(id, signal);
      if (service === undefined)
        throw new ExternalError('docker', `stop service ${id}: no such service`, { status: 404 });
      if ((service.Spec.Mode?.Replicated?.Replicas ?? 0) > 0) await scale(id, 0, 'stop', signal);
      // Stopped means its tasks are gone (each gets its stop grace period first): a scale-up
      // while one is still being removed would not replace it under restart condition none.
      const deadline = Date.now() + (timeoutSeconds + 10) * 1000;
      while (Date.now() < deadline) {
        const tasks = await tasksOf(service.ID, signal);
        if (!tasks.some((task) => task.DesiredState === 'remove' || task.DesiredState === 'running')) return;
        await sleep(pollMs, signal);
      }
      throw new ExternalError(
        'docker',
        `stop service ${service.Spec.Name}: tasks still running after ${timeoutSeconds + 10} s`,
      );
    },

    async removeContainer(id, signal) {
      try {
        await docker.getService(id).remove(signalOption(signal));
      } catch (error) {
        if (dockerStatus(error) === 404) return;
        throw dockerError('remove service', id, error, signal);
      }
    },

    async restartContainer(id, signal) {
      // A rolling restart in the service's update order (start-first by default).
      await updateService(
        id,
        'restart',
        (spec) => {
          const template = (spec.TaskTemplate ?? {}) as { ForceUpdate?: number };
          template.ForceUpdate = (template.ForceUpdate ?? 0) + 1;
          spec.TaskTemplate = template;
        },
        signal,
      );
    },

    rename(id) {
      return Promise.reject(
        new ExternalError('docker', `rename service ${id}: a Swarm service cannot be renamed`),
      );
    },

    inspectContainer,

    async listManagedContainers(filter: ListFilter = {}, signal) {
      const services = await dockerCall('list services with label', LABEL_PROJECT, signal, () =>
        docker.listServices({ filters: { label: labelFilters(filter) }, ...signalOption(signal) }),
      );
      const details = await Promise.all(
        (services as unknown as RawService[]).map((service) =>
          detailsOf(service, signal).catch(() => undefined),
        ),
      );
      return details.filter(
        (service): service is ContainerDetails =>
          service !== undefined &&
          (filter.all !== false || service.state === 'running' || service.state === 'restarting'),
      );
    },

    async containerLogs(id, logOptions = {}) {
      const { tail = 100, signal } = logOptions;
      if (tail <= 0) return [];
      const buffer = await dockerCall('read logs of service', id, signal, () =>
        logsOf(id).logs({ stdout: true, stderr: true, follow: false, tail, ...signalOption(signal) }),
      );
      return logLines(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))).slice(-tail);
    },

    // A service's log is the log of all its tasks, each line as its task wrote it.
    streamLogs: (id, logOptions, onLine) =>
      streamLogs(
        { getContainer: (serviceId: string) => logsOf(serviceId) } as unknown as Docker,
        id,
        logOptions,
        onLine,
      ),

    async containerStats(id, signal) {
      const service = await rawService(id, signal);
      if (service === undefined) return { state: 'gone' };
      const details = await detailsOf(service, signal);
      const tasks = (await tasksOf(service.ID, signal)).filter((task) => task.DesiredState === 'running');
      // Only the tasks on this node can be sampled; a task elsewhere counts in restarts and state only.
      const samples = await Promise.all(
        tasks
          .map((task) => task.Status?.ContainerStatus?.ContainerID)
          .filter((containerId): containerId is string => containerId !== undefined && containerId !== '')
          .map((containerId) => local.containerStats(containerId, signal)),
      );
      return sumStats(details, samples);
    },

    async watchEvents(onEvent, signal) {
      const pass = serviceEventPasser(engine, onEvent, signal, pollMs);
      await local.watchEvents((event) => {
        const serviceEvent = taskEventToService(event);
        if (serviceEvent) pass(serviceEvent);
      }, signal);
    },
  };
  return engine;
}
