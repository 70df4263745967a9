import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { ExternalError } from '../../src/core/errors.js';
import {
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  type ContainerDetails,
  type ContainerEvent,
  type ContainerStats,
  type ContainerSpec,
  type DockerEngine,
  type ImageDetails,
  type ListFilter,
  type LogLine,
  type LogStreamOptions,
  type RegistryCredentials,
} from '../../src/docker/engine.js';

/** One recorded call, in call order: tests assert sequences such as "stop old after health". */
export interface FakeDockerCall {
  method: keyof DockerEngine;
  /** The id, name or ref the call was about (first argument; the spec's name for createContainer). */
  target?: string;
}

/** A container held by the fake: what `inspectContainer` reports, plus the spec and log lines. */
export interface FakeContainer {
  details: ContainerDetails;
  spec: ContainerSpec;
  logs: string[];
  /** The same output with stream and time, as streamLogs gives it. */
  logLines: LogLine[];
  /** What containerStats reports while the container runs (see setStats). */
  stats: FakeStats;
}

/** The measured part of ContainerStats; the fake derives state and restarts from the container. */
export interface FakeStats {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
}

/** Hook run after a container is started; may change it (e.g. `fake.exitContainer(c.details.id, 3)`). */
export type StartHook = (container: FakeContainer, engine: FakeDockerEngine) => void;

/** `sha256:` + the hash of `text`: stable, fake digests and ids. */
export function fakeDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * An in-memory DockerEngine for unit tests: containers, images, networks, pulls and events, with
 * no daemon. Set up state with `addImage`, `setPullResult`, `addNetwork`, `addContainer`; drive
 * containers with `exitContainer`, `crashContainer`, `setHealth`, `patchContainer` and `onStart`;
 * inject faults with `failNext`; assert on `calls`, `pulls` and `specOf`. Errors are
 * ExternalError('docker') naming the image or container, like the real adapter's.
 *
 * Everything returned is a copy, so callers cannot change the fake's state by accident.
 * Containers count as managed when they carry the docker-watcher.project label.
 */
export class FakeDockerEngine implements DockerEngine {
  readonly calls: FakeDockerCall[] = [];
  /** Refs passed to pullImage with the credentials used (never asserted on by value in logs). */
  readonly pulls: { ref: string; credentials?: RegistryCredentials }[] = [];
  readonly networks = new Set<string>();
  /** Runs after every successful start; tests set it to simulate crashing or slow apps. */
  onStart: StartHook | undefined;

  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, ImageDetails>();
  private readonly pullResults = new Map<string, Partial<ImageDetails> | Error>();
  private readonly failures = new Map<keyof DockerEngine, Error[]>();
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  /** Log followers per container id: each gets new lines, and `end` when the container stops. */
  private readonly followers = new Map<string, Set<{ line(l: LogLine): void; end(): void }>>();
  private nextId = 1;
  private nextHostPort = 32768;
  private pingError: Error | undefined;

  constructor(private readonly clock: Clock = systemClock) {}

  // ----- test setup and control -----

  /** Makes an image present locally under `ref` (and its id and repo digests). */
  addImage(ref: string, details: Partial<ImageDetails> = {}): ImageDetails {
    const image: ImageDetails = {
      id: details.id ?? fakeDigest(`image:${ref}`),
      repoDigests: details.repoDigests ?? [defaultRepoDigest(ref)],
      exposedPorts: details.exposedPorts ?? [],
      hasHealthcheck: details.hasHealthcheck ?? false,
      labels: details.labels ?? {},
    };
    for (const alias of [ref, image.id, ...image.repoDigests]) this.images.set(alias, image);
    return structuredClone(image);
  }

  /** What pulling `ref` does: an Error rejects the pull; otherwise the image appears locally. Unset refs fail as "not found". */
  setPullResult(ref: string, result: Partial<ImageDetails> | Error): void {
    this.pullResults.set(ref, result);
  }

  addNetwork(name: string): void {
    this.networks.add(name);
  }

  /** The next call of `method` rejects with `error` (queued: call twice to fail twice). */
  failNext(
    method: keyof DockerEngine,
    error: Error = new ExternalError('docker', `fake ${method} failure`),
  ): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(error);
    this.failures.set(method, queue);
  }

  /** Makes `ping` fail until called again with undefined (the daemon is down). */
  setDown(error: Error | undefined = new ExternalError('docker', 'fake Docker engine is down')): void {
    this.pingError = error;
  }

  /** Adds a container directly (e.g. the live "blue" one before a deploy). Network and image are not checked. */
  addContainer(spec: ContainerSpec, state: Partial<ContainerDetails> = {}): ContainerDetails {
    const container = this.buildContainer(spec);
    Object.assign(container.details, state);
    if (container.details.state === 'running' && container.details.hostPort === undefined) {
      container.details.hostPort = this.nextHostPort++;
    }
    this.containers.set(container.details.id, container);
    return structuredClone(container.details);
  }

  /** The live fake container (not a copy) for tests that need to look inside; throws when unknown. */
  container(idOrName: string): FakeContainer {
    const found = this.find(idOrName);
    if (!found) throw new Error(`fake docker: no container ${idOrName}`);
    return found;
  }

  /** The spec a container was created with. */
  specOf(idOrName: string): ContainerSpec {
    return structuredClone(this.container(idOrName).spec);
  }

  /** Every container, managed or not, as copies. */
  allContainers(): ContainerDetails[] {
    return [...this.containers.values()].map((c) => structuredClone(c.details));
  }

  patchContainer(idOrName: string, patch: Partial<ContainerDetails>): void {
    Object.assign(this.container(idOrName).details, patch);
  }

  /** The container's process ends with `exitCode` (emits `die`). */
  exitContainer(idOrName: string, exitCode: number): void {
    const { details } = this.container(idOrName);
    Object.assign(details, { state: 'exited', exitCode, finishedAt: this.clock.now().toISOString() });
    delete details.hostPort;
    this.emit(details, 'die', String(exitCode));
  }

  /** The restart policy restarts a crashed container: restartCount goes up, state is `restarting`. */
  crashContainer(idOrName: string, exitCode = 1): void {
    const { details } = this.container(idOrName);
    Object.assign(details, { state: 'restarting', exitCode, restartCount: details.restartCount + 1 });
    this.emit(details, 'die', String(exitCode));
    this.emit(details, 'restart');
  }

  /** Sets the Docker HEALTHCHECK status (emits `health_status`). */
  setHealth(idOrName: string, health: NonNullable<ContainerDetails['health']>): void {
    const { details } = this.container(idOrName);
    details.health = health;
    this.emit(details, 'health_status', health);
  }

  /** Lines the container prints on stdout (see writeLog for stderr). */
  appendLogs(idOrName: string, ...lines: string[]): void {
    for (const text of lines) this.writeLog(idOrName, 'stdout', text);
  }

  /** One line of output on `stream`, stamped with the clock; followers get it at once. */
  writeLog(idOrName: string, stream: LogLine['stream'], text: string): void {
    const container = this.container(idOrName);
    const line: LogLine = { stream, time: this.clock.now().toISOString(), text };
    container.logs.push(text);
    container.logLines.push(line);
    for (const follower of this.followers.get(container.details.id) ?? []) follower.line({ ...line });
  }

  /** Sets what containerStats reports for a running container. */
  setStats(idOrName: string, stats: Partial<FakeStats>): void {
    Object.assign(this.container(idOrName).stats, stats);
  }

  /** Sends an event to watchers, as the daemon would. */
  emitEvent(event: ContainerEvent): void {
    for (const listener of this.listeners) listener(structuredClone(event));
  }

  /** How many watchEvents calls are still listening. */
  get watcherCount(): number {
    return this.listeners.size;
  }

  // ----- DockerEngine -----

  async ping(signal?: AbortSignal): Promise<void> {
    this.enter('ping', undefined, signal);
    if (this.pingError) throw this.pingError;
  }

  async pullImage(
    ref: string,
    options: { credentials?: RegistryCredentials; signal?: AbortSignal } = {},
  ): Promise<void> {
    this.enter('pullImage', ref, options.signal);
    this.pulls.push(options.credentials ? { ref, credentials: { ...options.credentials } } : { ref });
    const result = this.pullResults.get(ref);
    if (result instanceof Error) throw result;
    if (result === undefined) {
      throw new ExternalError(
        'docker',
        `pull of ${ref} failed: manifest unknown (fake registry has no such image)`,
      );
    }
    this.addImage(ref, { repoDigests: [defaultRepoDigest(ref)], ...result });
  }

  async inspectImage(ref: string, signal?: AbortSignal): Promise<ImageDetails | undefined> {
    this.enter('inspectImage', ref, signal);
    const image = this.images.get(ref);
    return image && structuredClone(image);
  }

  async ensureNetwork(name: string, signal?: AbortSignal): Promise<void> {
    this.enter('ensureNetwork', name, signal);
    this.networks.add(name);
  }

  async createContainer(spec: ContainerSpec, signal?: AbortSignal): Promise<ContainerDetails> {
    this.enter('createContainer', spec.name, signal);
    if (this.find(spec.name)) {
      throw new ExternalError(
        'docker',
        `container name ${spec.name} is already in use; remove or rename that container`,
      );
    }
    if (!this.images.has(spec.image))
      throw new ExternalError('docker', `no such image ${spec.image}: pull it first`);
    const container = this.buildContainer(spec);
    this.containers.set(container.details.id, container);
    return structuredClone(container.details);
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    this.enter('startContainer', id, signal);
    const container = this.mustFind(id);
    const { details } = container;
    // Like the engine, the network is looked up when the container starts, not when it is created.
    if (!this.networks.has(container.spec.network))
      throw new ExternalError(
        'docker',
        `start container ${id}: network ${container.spec.network} not found`,
        {
          status: 404,
        },
      );
    if (details.state !== 'running') {
      Object.assign(details, { state: 'running', startedAt: this.clock.now().toISOString() });
      delete details.exitCode;
      details.hostPort ??= this.nextHostPort++;
      if (this.images.get(container.spec.image)?.hasHealthcheck) details.health = 'starting';
      this.emit(details, 'start');
    }
    this.onStart?.(container, this);
  }

  async stopContainer(
    id: string,
    options: { timeoutSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    this.enter('stopContainer', id, options.signal);
    const { details } = this.mustFind(id);
    if (details.state !== 'running' && details.state !== 'restarting') return;
    Object.assign(details, { state: 'exited', exitCode: 0, finishedAt: this.clock.now().toISOString() });
    // The engine drops a stopped container's port bindings; a start publishes it anew.
    delete details.hostPort;
    this.emit(details, 'die', '0');
    this.emit(details, 'stop');
  }

  async removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    this.enter('removeContainer', id, signal);
    const container = this.find(id);
    if (!container) return;
    this.containers.delete(container.details.id);
    this.emit(container.details, 'destroy');
  }

  async restartContainer(id: string, signal?: AbortSignal): Promise<void> {
    this.enter('restartContainer', id, signal);
    const { details } = this.mustFind(id);
    Object.assign(details, { state: 'running', startedAt: this.clock.now().toISOString() });
    delete details.exitCode;
    details.hostPort ??= this.nextHostPort++;
    this.emit(details, 'restart');
  }

  async rename(id: string, newName: string, signal?: AbortSignal): Promise<void> {
    this.enter('rename', id, signal);
    const container = this.mustFind(id);
    const holder = this.find(newName);
    if (holder && holder !== container) {
      throw new ExternalError(
        'docker',
        `cannot rename ${container.details.name} to ${newName}: the name is in use`,
      );
    }
    container.details.name = newName;
  }

  async inspectContainer(idOrName: string, signal?: AbortSignal): Promise<ContainerDetails | undefined> {
    this.enter('inspectContainer', idOrName, signal);
    const container = this.find(idOrName);
    return container && structuredClone(container.details);
  }

  async listManagedContainers(filter: ListFilter = {}, signal?: AbortSignal): Promise<ContainerDetails[]> {
    this.enter('listManagedContainers', undefined, signal);
    return [...this.containers.values()]
      .map((c) => c.details)
      .filter((d) => isManaged(d) && matches(d, filter))
      .map((d) => structuredClone(d));
  }

  async containerLogs(id: string, options: { tail?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    this.enter('containerLogs', id, options.signal);
    const { logs } = this.mustFind(id);
    return options.tail === undefined ? [...logs] : logs.slice(Math.max(0, logs.length - options.tail));
  }

  async streamLogs(id: string, options: LogStreamOptions, onLine: (line: LogLine) => void): Promise<void> {
    if (options.signal.aborted) return;
    this.enter('streamLogs', id, undefined);
    const container = this.mustFind(id);
    const since = options.since?.toISOString();
    const past = container.logLines.filter((line) => since === undefined || line.time >= since);
    const shown = options.tail === undefined ? past : past.slice(Math.max(0, past.length - options.tail));
    for (const line of shown) onLine({ ...line });
    const { state } = container.details;
    if (options.follow !== true || (state !== 'running' && state !== 'restarting')) return;
    const key = container.details.id;
    await new Promise<void>((resolve) => {
      const follower = {
        line: onLine,
        end: () => {
          this.followers.get(key)?.delete(follower);
          options.signal.removeEventListener('abort', follower.end);
          resolve();
        },
      };
      this.followers.set(key, (this.followers.get(key) ?? new Set()).add(follower));
      options.signal.addEventListener('abort', follower.end, { once: true });
    });
  }

  async containerStats(id: string, signal?: AbortSignal): Promise<ContainerStats> {
    this.enter('containerStats', id, signal);
    const container = this.find(id);
    if (!container) return { state: 'gone' };
    const { state, restartCount } = container.details;
    const measured =
      state === 'running'
        ? container.stats
        : { ...container.stats, cpuPercent: 0, memoryBytes: 0, networkRxBytes: 0, networkTxBytes: 0 };
    return { state, restartCount, ...measured };
  }

  async watchEvents(onEvent: (event: ContainerEvent) => void, signal: AbortSignal): Promise<void> {
    this.enter('watchEvents', undefined, signal);
    this.listeners.add(onEvent);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    this.listeners.delete(onEvent);
  }

  // ----- internals -----

  private enter(
    method: keyof DockerEngine,
    target: string | undefined,
    signal: AbortSignal | undefined,
  ): void {
    this.calls.push(target === undefined ? { method } : { method, target });
    signal?.throwIfAborted();
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
  }

  private buildContainer(spec: ContainerSpec): FakeContainer {
    const id = fakeDigest(`container:${this.nextId++}:${spec.name}`).slice('sha256:'.length);
    const image = this.images.get(spec.image);
    const details: ContainerDetails = {
      id,
      name: spec.name,
      image: spec.image,
      imageId: image?.id ?? fakeDigest(`image:${spec.image}`),
      labels: { ...image?.labels, ...spec.labels },
      state: 'created',
      restartCount: 0,
    };
    const stats: FakeStats = {
      cpuPercent: 0,
      memoryBytes: 0,
      memoryLimitBytes: spec.memoryBytes ?? 8 * 1024 ** 3,
      networkRxBytes: 0,
      networkTxBytes: 0,
    };
    return { details, spec: structuredClone(spec), logs: [], logLines: [], stats };
  }

  private find(idOrName: string): FakeContainer | undefined {
    const key = idOrName.replace(/^\//, '');
    const byId = this.containers.get(key);
    if (byId) return byId;
    for (const container of this.containers.values()) {
      if (container.details.name === key) return container;
    }
    // Docker accepts a unique id prefix.
    const byPrefix = [...this.containers.values()].filter(
      (c) => key.length >= 4 && c.details.id.startsWith(key),
    );
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  private mustFind(idOrName: string): FakeContainer {
    const found = this.find(idOrName);
    if (!found) throw new ExternalError('docker', `no such container ${idOrName}`, { status: 404 });
    return found;
  }

  private emit(details: ContainerDetails, action: ContainerEvent['action'], detail?: string): void {
    if (action === 'die' || action === 'destroy') {
      for (const follower of [...(this.followers.get(details.id) ?? [])]) follower.end();
    }
    if (!isManaged(details)) return;
    const event: ContainerEvent = { containerId: details.id, action, labels: { ...details.labels } };
    if (detail !== undefined) event.detail = detail;
    this.emitEvent(event);
  }
}

function defaultRepoDigest(ref: string): string {
  if (ref.includes('@')) return ref;
  return `${repositoryOf(ref)}@${fakeDigest(`manifest:${ref}`)}`;
}

/** Image ref without tag or digest: the tag's colon comes after the last slash (a port's does not). */
function repositoryOf(ref: string): string {
  const withoutDigest = ref.split('@')[0] ?? ref;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

function isManaged(details: ContainerDetails): boolean {
  return details.labels[LABEL_PROJECT] !== undefined;
}

function matches(details: ContainerDetails, filter: ListFilter): boolean {
  if (filter.project !== undefined && details.labels[LABEL_PROJECT] !== filter.project) return false;
  if (filter.stage !== undefined && details.labels[LABEL_STAGE] !== filter.stage) return false;
  if (filter.instanceId !== undefined && details.labels[LABEL_INSTANCE] !== filter.instanceId) return false;
  if (filter.all === false && details.state !== 'running') return false;
  return true;
}
