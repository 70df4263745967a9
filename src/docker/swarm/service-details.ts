import type { ContainerDetails } from '../engine.js';
import { LABEL_REPLICAS } from './service-spec.js';
import { LABEL_NODE_ADDRESS, type SwarmNode } from './swarm-nodes.js';

/** The parts of GET /services/{id} read here. */
export interface RawService {
  ID: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  /** Set by the first update of the spec: the service was scaled up at least once. */
  PreviousSpec?: unknown;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number } };
    TaskTemplate?: { ContainerSpec?: { Image?: string } };
  };
}

/** The parts of GET /tasks read here. */
export interface RawTask {
  ID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: {
    State?: string;
    Err?: string;
    Message?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: { PublishedPort?: number; TargetPort?: number; PublishMode?: string }[] };
  };
}

const FAILED = new Set(['failed', 'rejected']);
/** Task states on the way to running; a task stays `starting` until its HEALTHCHECK passes. */
const ON_THE_WAY = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

/** The tasks meant to run now (not the history Swarm keeps of replaced ones). */
function currentTasks(tasks: readonly RawTask[]): RawTask[] {
  return tasks.filter((task) => task.DesiredState === 'running');
}

function time(at: string | undefined): number {
  const ms = Date.parse(at ?? '');
  return Number.isNaN(ms) ? 0 : ms;
}

/** Tasks that failed or were rejected since the service was last scaled up, newest first. */
export function failuresSinceStart(service: RawService, tasks: readonly RawTask[]): RawTask[] {
  const since = time(service.UpdatedAt);
  return tasks
    .filter((task) => FAILED.has(task.Status?.State ?? '') && time(task.CreatedAt) >= since)
    .sort((a, b) => time(b.CreatedAt) - time(a.CreatedAt));
}

/** The replica count a service runs with when started (its LABEL_REPLICAS, else its spec). */
export function startedReplicas(service: RawService): number {
  const label = Number(service.Spec.Labels?.[LABEL_REPLICAS]);
  if (Number.isInteger(label) && label > 0) return label;
  return Math.max(1, service.Spec.Mode?.Replicated?.Replicas ?? 1);
}

function hostPortOf(task: RawTask, targetPort: number | undefined): number | undefined {
  const ports = task.Status?.PortStatus?.Ports ?? [];
  const port = ports.find(
    (p) => p.PublishMode === 'host' && (targetPort === undefined || p.TargetPort === targetPort),
  );
  return port?.PublishedPort;
}

/**
 * A service seen as one ContainerDetails, so the deploy engine treats a version the same on one
 * host and on a Swarm: `running` once every wanted replica runs (health `starting` while any
 * still waits for its HEALTHCHECK), `restarting` when a task failed since the service was
 * started (restartCount counts those failures, exitCode is the newest one's), `created` while
 * tasks are still being scheduled or a task has no published port yet, `exited` when scaled to
 * 0. hostPort is the first replica's published port (what the router is pointed at from the
 * host), `instances` has every one; with `targetPort` given, a task without its port is not up.
 * With `nodes` given, a task on another node carries that node's address (hostAddress), and
 * `lost` says why the service cannot serve when a task of it was on a node that is gone.
 */
export function toServiceDetails(
  service: RawService,
  tasks: readonly RawTask[],
  targetPort?: number,
  nodes?: ReadonlyMap<string, SwarmNode>,
): ContainerDetails {
  const name = service.Spec.Name;
  const desired = service.Spec.Mode?.Replicated?.Replicas ?? 0;
  const current = currentTasks(tasks).sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0));
  // A task counts as up only once the Swarm reports its published port: it runs a moment
  // before, and a service read as running then would hand the route another replica's port
  // (or none) until the next look.
  const hasPort = (task: RawTask) => targetPort === undefined || hostPortOf(task, targetPort) !== undefined;
  const running = current.filter((task) => task.Status?.State === 'running' && hasPort(task));
  const starting = current.filter((task) => task.Status?.State === 'starting' && hasPort(task));
  const failures = failuresSinceStart(service, tasks);
  const image = service.Spec.TaskTemplate?.ContainerSpec?.Image ?? '';
  const details: ContainerDetails = {
    id: service.ID,
    name,
    image,
    imageId: image,
    labels: { ...service.Spec.Labels },
    state: 'created',
    restartCount: failures.length,
  };
  // Scaled to 0: `created` until it was started once (its spec updated; the engine's own
  // updates of a new service, such as allocating its ports, leave the spec alone).
  const everStarted = service.PreviousSpec !== undefined && service.PreviousSpec !== null;
  if (desired === 0) details.state = everStarted ? 'exited' : 'created';
  else if (running.length + starting.length >= desired) details.state = 'running';
  else if (failures.length > 0) details.state = 'restarting';
  if (starting.length > 0 && details.state === 'running') details.health = 'starting';
  const exitCode = failures[0]?.Status?.ContainerStatus?.ExitCode;
  if (details.state === 'restarting' && exitCode !== undefined) details.exitCode = exitCode;
  if (details.state === 'exited') details.exitCode = lastExitCode(tasks);
  const instances = [...running, ...starting].flatMap((task) => {
    const hostPort = hostPortOf(task, targetPort);
    const hostAddress = nodeOf(task, nodes)?.address;
    return hostPort === undefined
      ? []
      : [
          {
            name: `${name}.${task.Slot ?? 0}`,
            hostPort,
            ...(hostAddress === undefined ? {} : { hostAddress }),
          },
        ];
  });
  if (desired > 0) details.instances = instances;
  const [first] = instances;
  if (first !== undefined) {
    details.hostPort = first.hostPort;
    if (first.hostAddress !== undefined) details.hostAddress = first.hostAddress;
  }
  const lost =
    desired > 0 ? lostReason(service, tasks, nodes, running.length + starting.length < desired) : undefined;
  if (lost !== undefined) details.lost = lost;
  if (everStarted && service.UpdatedAt) {
    if (desired > 0) details.startedAt = service.UpdatedAt;
    else details.finishedAt = service.UpdatedAt;
  }
  return details;
}

function nodeOf(task: RawTask, nodes: ReadonlyMap<string, SwarmNode> | undefined): SwarmNode | undefined {
  return task.NodeID === undefined ? undefined : nodes?.get(task.NodeID);
}

/**
 * Why the service cannot serve on account of its nodes: a task meant to run is on another node
 * with no address to reach it at, or (while replicas are missing) a task that ran since the
 * service was started is on a node that is no longer ready. The Swarm only notices a node is
 * gone after its heartbeats stop (about 15 s by default), and then reschedules the task.
 */
function lostReason(
  service: RawService,
  tasks: readonly RawTask[],
  nodes: ReadonlyMap<string, SwarmNode> | undefined,
  missingReplicas: boolean,
): string | undefined {
  if (nodes === undefined) return undefined;
  const label = (task: RawTask) => `${service.Spec.Name}.${task.Slot ?? 0}`;
  for (const task of currentTasks(tasks)) {
    const node = nodeOf(task, nodes);
    if (node && !node.local && node.address === undefined)
      return (
        `task ${label(task)} runs on node ${node.hostname}, which has no address docker-watcher can reach its ports at: ` +
        `give the node one with docker node update --label-add ${LABEL_NODE_ADDRESS}=<ip> ${node.hostname}`
      );
  }
  if (!missingReplicas) return undefined;
  const since = time(service.UpdatedAt);
  const gone = tasks.find((task) => {
    const node = nodeOf(task, nodes);
    return (
      node !== undefined &&
      node.state !== 'ready' &&
      task.Status?.State === 'running' &&
      time(task.CreatedAt) >= since
    );
  });
  if (gone === undefined) return undefined;
  const node = nodeOf(gone, nodes)!;
  return `task ${label(gone)} was lost: its node ${node.hostname}${node.address === undefined ? '' : ` (${node.address})`} is ${node.state}`;
}

/** The exit code of the task that stopped last (0 when none reported one). */
function lastExitCode(tasks: readonly RawTask[]): number {
  const newest = [...tasks].sort((a, b) => time(b.CreatedAt) - time(a.CreatedAt));
  return (
    newest.find((task) => task.Status?.ContainerStatus?.ExitCode !== undefined)?.Status?.ContainerStatus
      ?.ExitCode ?? 0
  );
}

/** How many of the tasks meant to run are running (past their HEALTHCHECK, when they have one). */
export function runningCount(tasks: readonly RawTask[]): number {
  return currentTasks(tasks).filter((task) => task.Status?.State === 'running').length;
}

/** Why the tasks of a service are not running yet, from the engine (e.g. no node satisfies a constraint). */
export function pendingReason(tasks: readonly RawTask[]): string | undefined {
  const waiting = currentTasks(tasks).find(
    (task) => ON_THE_WAY.has(task.Status?.State ?? '') && (task.Status?.Err ?? '') !== '',
  );
  return waiting?.Status?.Err;
}

/** The newest failure's message (`No such image: ...`, `task: non-zero exit (3)`). */
export function failureReason(failure: RawTask): string {
  return failure.Status?.Err || failure.Status?.Message || failure.Status?.State || 'failed';
}
