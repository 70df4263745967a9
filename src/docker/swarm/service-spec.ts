import type { ContainerSpec, RegistryCredentials } from '../engine.js';
import type { SwarmServiceSettings } from './swarm-settings.js';

/** Label on a service: how many replicas it runs when started (a stopped one is scaled to 0). */
export const LABEL_REPLICAS = 'docker-watcher.replicas';

const NANOS_PER_SECOND = 1_000_000_000;

/** One mount of a service, from a container spec's volume entry. */
export interface ServiceMount {
  Type: 'bind' | 'volume';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

/** host:container[:ro] -> a bind, name:container -> a named volume, /path -> an anonymous volume. */
export function serviceMount(volume: string): ServiceMount {
  const [first = '', second, mode] = volume.split(':');
  if (second === undefined) return { Type: 'volume', Target: first };
  const isPath = first.startsWith('/') || first.startsWith('.') || first.includes('/');
  return {
    Type: isPath ? 'bind' : 'volume',
    Source: first,
    Target: second,
    ...(mode === 'ro' ? { ReadOnly: true } : {}),
  };
}

/**
 * The engine's service create body for a version of a stage (POST /services/create). The
 * service is created with 0 replicas, like a container that is created but not started:
 * startService scales it to LABEL_REPLICAS. The app port is published in host mode with no
 * fixed port, so each task gets its own port on its node: the only way a process on the host
 * reaches every replica (overlay addresses are not routable from the host, and the ingress
 * routing mesh balances, so one published port could not tell the replicas apart for the
 * health gate). Labels go on the service and on each task's container.
 */
export function serviceCreateBody(
  spec: ContainerSpec,
  settings: SwarmServiceSettings,
): Record<string, unknown> {
  const labels = { ...spec.labels, [LABEL_REPLICAS]: String(settings.replicas) };
  return {
    Name: spec.name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Labels: { ...spec.labels },
        Env: [...spec.env],
        Mounts: spec.volumes.map(serviceMount),
        ...(spec.stopTimeoutSeconds === undefined
          ? {}
          : { StopGracePeriod: spec.stopTimeoutSeconds * NANOS_PER_SECOND }),
      },
      Resources: {
        Limits: {
          ...(spec.memoryBytes === undefined ? {} : { MemoryBytes: spec.memoryBytes }),
          ...(spec.nanoCpus === undefined ? {} : { NanoCPUs: spec.nanoCpus }),
        },
      },
      // `any` is the Swarm's unless-stopped: a crashed task is replaced (after a second).
      RestartPolicy: {
        Condition: spec.restartPolicy === 'no' ? 'none' : 'any',
        Delay: NANOS_PER_SECOND,
      },
      Placement: { Constraints: [...settings.placement] },
      Networks: [{ Target: spec.network }],
      ...(spec.log === undefined
        ? {}
        : { LogDriver: { Name: spec.log.driver, Options: { ...spec.log.options } } }),
    },
    Mode: { Replicated: { Replicas: 0 } },
    UpdateConfig: {
      Parallelism: settings.update.parallelism,
      Delay: Math.round(settings.update.delaySeconds * NANOS_PER_SECOND),
      Order: settings.update.order,
      FailureAction: 'pause',
    },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: spec.port, PublishMode: 'host' }],
    },
  };
}

/** The X-Registry-Auth of a service create: what every node that runs a task pulls with. */
export function registryAuth(
  credentials: RegistryCredentials | undefined,
): Record<string, string> | undefined {
  if (credentials === undefined) return undefined;
  return {
    username: credentials.username,
    password: credentials.password,
    serveraddress: credentials.serverAddress,
  };
}
