import type Docker from 'dockerode';
import type { ContainerDetails, ContainerSpec, ContainerState, ImageDetails } from './engine.js';

/** The engine's create body for a spec: one app port published to a random host port. */
export function containerCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const port = `${spec.port}/tcp`;
  const binds = spec.volumes.filter((volume) => volume.includes(':'));
  const anonymous = spec.volumes.filter((volume) => !volume.includes(':'));
  return {
    name: spec.name,
    Image: spec.image,
    Labels: { ...spec.labels },
    Env: [...spec.env],
    ExposedPorts: { [port]: {} },
    ...(anonymous.length > 0 ? { Volumes: Object.fromEntries(anonymous.map((path) => [path, {}])) } : {}),
    ...(spec.stopTimeoutSeconds === undefined ? {} : { StopTimeout: spec.stopTimeoutSeconds }),
    HostConfig: {
      // An empty HostPort lets the engine pick a free port; inspect reads it back after start.
      PortBindings: { [port]: [{ HostIp: spec.publishHost, HostPort: '' }] },
      RestartPolicy: { Name: spec.restartPolicy },
      NetworkMode: spec.network,
      ...(binds.length > 0 ? { Binds: binds } : {}),
      ...(spec.memoryBytes === undefined ? {} : { Memory: spec.memoryBytes }),
      ...(spec.nanoCpus === undefined ? {} : { NanoCpus: spec.nanoCpus }),
      ...(spec.log === undefined
        ? {}
        : { LogConfig: { Type: spec.log.driver, Config: { ...spec.log.options } } }),
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: {} } },
  };
}

const states: readonly ContainerState[] = [
  'created',
  'running',
  'restarting',
  'exited',
  'paused',
  'dead',
  'removing',
];
const neverTime = '0001-01-01T00:00:00Z';

/** Maps an engine inspect result to ContainerDetails. */
export function toContainerDetails(info: Docker.ContainerInspectInfo): ContainerDetails {
  const status = info.State.Status as ContainerState;
  const health = info.State.Health?.Status;
  const hostPort = publishedPort(info.NetworkSettings.Ports);
  const details: ContainerDetails = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    imageId: info.Image,
    labels: { ...info.Config.Labels },
    state: states.includes(status) ? status : 'dead',
    restartCount: info.RestartCount,
  };
  if (health === 'starting' || health === 'healthy' || health === 'unhealthy') details.health = health;
  // A restarting container's ExitCode is that of its last run: the reason it is restarting.
  if (status === 'exited' || status === 'dead' || status === 'restarting')
    details.exitCode = info.State.ExitCode;
  if (hostPort !== undefined) details.hostPort = hostPort;
  if (info.State.StartedAt !== '' && info.State.StartedAt !== neverTime)
    details.startedAt = info.State.StartedAt;
  if (info.State.FinishedAt !== '' && info.State.FinishedAt !== neverTime)
    details.finishedAt = info.State.FinishedAt;
  return details;
}

function publishedPort(
  ports: Docker.ContainerInspectInfo['NetworkSettings']['Ports'] | null | undefined,
): number | undefined {
  for (const bindings of Object.values(ports ?? {})) {
    const hostPort = bindings?.find((binding) => binding.HostPort !== '')?.HostPort;
    if (hostPort !== undefined) return Number(hostPort);
  }
  return undefined;
}

/** Maps an engine image inspect result to ImageDetails. */
export function toImageDetails(info: Docker.ImageInspectInfo): ImageDetails {
  const exposed = Object.keys(info.Config?.ExposedPorts ?? {})
    .filter((key) => key.endsWith('/tcp') || !key.includes('/'))
    .map((key) => Number(key.split('/')[0]))
    .filter((port) => Number.isInteger(port));
  const test = info.Config?.Healthcheck?.Test;
  return {
    id: info.Id,
    repoDigests: [...(info.RepoDigests ?? [])],
    exposedPorts: exposed,
    hasHealthcheck: test !== undefined && test.length > 0 && test[0] !== 'NONE',
    labels: { ...info.Config?.Labels },
  };
}
