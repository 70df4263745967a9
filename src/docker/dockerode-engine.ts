import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ExternalError } from '../core/errors.js';
import { containerCreateOptions, toContainerDetails, toImageDetails } from './container-options.js';
import { toContainerStats } from './container-stats.js';
import { dockerCall, dockerCallOrMissing, dockerError, dockerStatus } from './docker-errors.js';
import { readEvents } from './docker-events.js';
import { networkEnsurer } from './ensure-network.js';
import { LABEL_PROJECT } from './engine.js';
import { Dockerode } from './lean-dockerode.js';
import type { ContainerDetails, DockerEngine } from './engine.js';
import { logLines } from './log-frames.js';
import { pullImage } from './pull-image.js';
import { streamLogs } from './stream-logs.js';
import { labelFilters } from './label-filters.js';

export interface DockerodeEngineOptions {
  /** Engine socket; default /var/run/docker.sock. */
  socketPath?: string;
  /** Labels put on networks that ensureNetwork creates (e.g. the instance id). */
  networkLabels?: Record<string, string>;
}

/** The DockerEngine on a real engine, through dockerode. No dockerode type leaves this module. */
export function createDockerodeEngine(options: DockerodeEngineOptions = {}): DockerEngine {
  const docker = new Dockerode({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
  const signalOption = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } =>
    signal === undefined ? {} : { abortSignal: signal };
  // dockerode takes { abortSignal } on every call; @types/dockerode lacks these overloads.
  const untyped = docker as unknown as {
    ping(options: object): Promise<unknown>;
    getEvents(options: object): Promise<Readable>;
  };

  const inspectContainer = (idOrName: string, signal?: AbortSignal): Promise<ContainerDetails | undefined> =>
    dockerCallOrMissing('inspect container', idOrName, signal, async () =>
      toContainerDetails(await docker.getContainer(idOrName).inspect(signalOption(signal))),
    );

  return {
    async ping(signal) {
      await dockerCall('ping', options.socketPath ?? '/var/run/docker.sock', signal, () =>
        untyped.ping(signalOption(signal)),
      );
    },

    pullImage: (ref, pullOptions) => pullImage(docker, ref, pullOptions),

    inspectImage: (ref, signal) =>
      dockerCallOrMissing('inspect image', ref, signal, async () =>
        toImageDetails(
          await docker.getImage(ref).inspect(signalOption(signal) as Docker.ImageInspectOptions),
        ),
      ),

    ensureNetwork: networkEnsurer(docker, options.networkLabels ?? {}),

    async createContainer(spec, signal) {
      const { id } = await dockerCall(`create container ${spec.name} from`, spec.image, signal, () =>
        docker.createContainer({ ...containerCreateOptions(spec), ...signalOption(signal) }),
      );
      const created = await inspectContainer(id, signal);
      if (created === undefined)
        throw new ExternalError('docker', `create container ${spec.name}: it vanished right after creation`);
      return created;
    },

    async startContainer(id, signal) {
      try {
        await docker.getContainer(id).start(signalOption(signal));
      } catch (error) {
        // On an engine in a Swarm a missing network reads "invalid cluster node while attaching
        // to network", without its name: add the name the container asked for.
        const network = /network/i.test(String(error))
          ? await docker
              .getContainer(id)
              .inspect()
              .then((info) => info.HostConfig.NetworkMode)
              .catch(() => undefined)
          : undefined;
        const subject =
          network === undefined || String(error).includes(network) ? id : `${id} (network ${network})`;
        throw dockerError('start container', subject, error, signal);
      }
    },

    async stopContainer(id, stopOptions = {}) {
      const { timeoutSeconds, signal } = stopOptions;
      try {
        await docker
          .getContainer(id)
          .stop({ ...(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }), ...signalOption(signal) });
      } catch (error) {
        // 304: already stopped.
        if (dockerStatus(error) === 304) return;
        throw dockerError('stop container', id, error, signal);
      }
    },

    async removeContainer(id, signal) {
      try {
        await docker.getContainer(id).remove({ force: true, v: true, ...signalOption(signal) });
      } catch (error) {
        const status = dockerStatus(error);
        // 404: already gone; 409: a removal is already in progress.
        if (status === 404 || (status === 409 && /already in progress/i.test(String(error)))) return;
        throw dockerError('remove container', id, error, signal);
      }
    },

    async restartContainer(id, signal) {
      await dockerCall('restart container', id, signal, () =>
        docker.getContainer(id).restart(signalOption(signal)),
      );
    },

    async rename(id, newName, signal) {
      await dockerCall(`rename container ${id} to`, newName, signal, () =>
        docker.getContainer(id).rename({ name: newName, ...signalOption(signal) }),
      );
    },

    inspectContainer,

    async listManagedContainers(filter = {}, signal) {
      const summaries = await dockerCall('list containers with label', LABEL_PROJECT, signal, () =>
        docker.listContainers({
          all: filter.all ?? true,
          filters: { label: labelFilters(filter) },
          ...signalOption(signal),
        }),
      );
      // Inspect gives health, restart count and exit code that the list lacks; a container
      // removed in between simply drops out.
      const details = await Promise.all(summaries.map((summary) => inspectContainer(summary.Id, signal)));
      return details.filter((container) => container !== undefined);
    },

    async containerLogs(id, logOptions = {}) {
      const { tail = 100, signal } = logOptions;
      if (tail <= 0) return [];
      const buffer = await dockerCall('read logs of container', id, signal, () =>
        docker
          .getContainer(id)
          .logs({ stdout: true, stderr: true, follow: false, tail, ...signalOption(signal) }),
      );
      return logLines(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))).slice(-tail);
    },

    streamLogs: (id, logOptions, onLine) => streamLogs(docker, id, logOptions, onLine),

    async containerStats(id, signal) {
      const container = await inspectContainer(id, signal);
      if (!container) return { state: 'gone' };
      if (container.state !== 'running') return toContainerStats({}, container);
      // stream: false waits for a second sample, so precpu_stats is filled and CPU % is real.
      const sample = await dockerCallOrMissing('read stats of container', container.name, signal, () =>
        docker.getContainer(container.id).stats({ stream: false, ...signalOption(signal) }),
      );
      return sample === undefined ? { state: 'gone' } : toContainerStats(sample, container);
    },

    async watchEvents(onEvent, signal) {
      if (signal.aborted) return;
      // `since` replays what happened between this call and the stream being connected.
      const since = (Date.now() / 1000).toFixed(3);
      let stream: Readable;
      try {
        stream = await untyped.getEvents({
          since,
          filters: { type: ['container'], label: [LABEL_PROJECT] },
          abortSignal: signal,
        });
      } catch (error) {
        if (signal.aborted) return;
        throw dockerError('watch events of containers with label', LABEL_PROJECT, error);
      }
      const stop = (): void => {
        stream.destroy();
      };
      signal.addEventListener('abort', stop, { once: true });
      if (signal.aborted) stop();
      try {
        await readEvents(stream, onEvent, (event) => LABEL_PROJECT in event.labels);
      } catch (error) {
        if (signal.aborted) return;
        throw dockerError('watch events of containers with label', LABEL_PROJECT, error);
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (!signal.aborted)
        throw new ExternalError('docker', `watch events: the engine closed the event stream; watch again`);
    },
  };
}
