/**
 * What the core needs from a Docker engine. The dockerode adapter implements it; no dockerode
 * type appears here. Every call takes an optional AbortSignal; errors are ExternalError('docker')
 * whose message names the image or container.
 */

export const LABEL_PROJECT = 'docker-watcher.project';
export const LABEL_STAGE = 'docker-watcher.stage';
export const LABEL_INSTANCE = 'docker-watcher.instance-id';
/** Optional: the deploy that created a container. */
export const LABEL_DEPLOY = 'docker-watcher.deploy-id';
export const LABEL_TAG = 'docker-watcher.tag';

export interface RegistryCredentials {
  username: string;
  password: string;
  /** Registry host, e.g. git.example.com or 127.0.0.1:5000 */
  serverAddress: string;
}

export interface ImageDetails {
  id: string;
  /** repo@sha256:... entries */
  repoDigests: string[];
  /** Container ports the image EXPOSEs (tcp). */
  exposedPorts: number[];
  /** The image defines a Docker HEALTHCHECK. */
  hasHealthcheck: boolean;
  labels: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  /** Image reference to run, preferably repo@digest. */
  image: string;
  labels: Record<string, string>;
  /** KEY=value entries */
  env: string[];
  /** host:container[:ro] binds or named volumes */
  volumes: string[];
  network: string;
  /** Port the app listens on inside the container; published to a random host port. */
  port: number;
  publishHost: string;
  restartPolicy: 'unless-stopped' | 'no';
  memoryBytes?: number;
  nanoCpus?: number;
  log?: { driver: string; options: Record<string, string> };
  stopTimeoutSeconds?: number;
}

export type ContainerState = 'created' | 'running' | 'restarting' | 'exited' | 'paused' | 'dead' | 'removing';

export interface ContainerDetails {
  id: string;
  /** Without the leading slash. */
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** Docker HEALTHCHECK status, when the image has one. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  restartCount: number;
  exitCode?: number;
  /** Host port the container's app port is published on. */
  hostPort?: number;
  /**
   * The address of the Docker host hostPort is published on, when that is not this one: a Swarm
   * task on another node (its node's address). Absent: this host (global.docker.publish_host).
   */
  hostAddress?: string;
  /**
   * The replicas behind this one name when it is a Swarm service: each running task with its own
   * published port (on its own node's address when not this one), so a health gate can probe
   * every one. Absent for a plain container.
   */
  instances?: { name: string; hostPort?: number; hostAddress?: string }[];
  /**
   * Why a started container cannot serve, when its runtime knows and its state does not say:
   * a Swarm service whose task was on a node that went down. Absent while nothing is known.
   */
  lost?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerEvent {
  containerId: string;
  action: 'die' | 'oom' | 'health_status' | 'start' | 'stop' | 'restart' | 'destroy';
  /** For health_status: healthy / unhealthy. For die: the exit code. */
  detail?: string;
  labels: Record<string, string>;
}

/** One line of a container's output, demultiplexed. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** The engine's RFC 3339 timestamp of the line (nanosecond precision). */
  time: string;
  text: string;
}

export interface LogStreamOptions {
  /** Last N lines before following (default: all). */
  tail?: number;
  /** Only lines written at or after this time. */
  since?: Date;
  /** Keep streaming new lines until the container stops or the signal aborts. */
  follow?: boolean;
  timestamps: true;
  signal: AbortSignal;
}

/** A one-shot sample of a container's resource use; a container that is gone is not an error. */
export type ContainerStats =
  | { state: 'gone' }
  | {
      state: ContainerState;
      /** Share of one CPU core times 100 (200 = two cores busy), like `docker stats`. */
      cpuPercent: number;
      /** Memory in use without the page cache, like `docker stats`. */
      memoryBytes: number;
      /** The container's memory limit (the host's memory when it has none). */
      memoryLimitBytes: number;
      networkRxBytes: number;
      networkTxBytes: number;
      restartCount: number;
    };

export interface ListFilter {
  project?: string;
  stage?: string;
  /** Only containers with this instance-id label (the default: any docker-watcher instance). */
  instanceId?: string;
  /** Include stopped containers (default true). */
  all?: boolean;
}

export interface DockerEngine {
  ping(signal?: AbortSignal): Promise<void>;
  /** Pulls and waits for the pull to finish; errors inside the progress stream reject. */
  pullImage(
    ref: string,
    options?: { credentials?: RegistryCredentials; signal?: AbortSignal },
  ): Promise<void>;
  /** undefined when the image is not present locally. */
  inspectImage(ref: string, signal?: AbortSignal): Promise<ImageDetails | undefined>;
  ensureNetwork(name: string, signal?: AbortSignal): Promise<void>;
  createContainer(spec: ContainerSpec, signal?: AbortSignal): Promise<ContainerDetails>;
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  stopContainer(id: string, options?: { timeoutSeconds?: number; signal?: AbortSignal }): Promise<void>;
  /** Force-removes; a container that is already gone is not an error. */
  removeContainer(id: string, signal?: AbortSignal): Promise<void>;
  restartContainer(id: string, signal?: AbortSignal): Promise<void>;
  rename(id: string, newName: string, signal?: AbortSignal): Promise<void>;
  /** undefined when no such container exists. */
  inspectContainer(idOrName: string, signal?: AbortSignal): Promise<ContainerDetails | undefined>;
  /** Only containers with docker-watcher's labels; never anything else. */
  listManagedContainers(filter?: ListFilter, signal?: AbortSignal): Promise<ContainerDetails[]>;
  /** Last `tail` lines of stdout and stderr, demultiplexed, oldest first. */
  containerLogs(id: string, options?: { tail?: number; signal?: AbortSignal }): Promise<string[]>;
  /**
   * Streams a container's log lines, oldest first, stdout and stderr in the order written.
   * Resolves when the log ends (at once without follow; when the container stops with it) or
   * the signal aborts. A container that does not exist is ExternalError('docker') with status 404.
   */
  streamLogs(id: string, options: LogStreamOptions, onLine: (line: LogLine) => void): Promise<void>;
  /** One sample of CPU, memory, network and restarts (`docker stats --no-stream`). */
  containerStats(id: string, signal?: AbortSignal): Promise<ContainerStats>;
  /** Streams events of managed containers until the signal aborts. */
  watchEvents(onEvent: (event: ContainerEvent) => void, signal: AbortSignal): Promise<void>;
}
