import { describe, expect, it } from 'vitest';
import { registryAuth, serviceCreateBody, serviceMount } from '../../../../src/docker/swarm/service-spec.js';
import { resolveSwarmSettings } from '../../../../src/docker/swarm/swarm-settings.js';

describe('serviceCreateBody', () => {
  const settings = resolveSwarmSettings(
    { replicas: 3, placement: ['node.role==worker'] },
    { update: { order: 'stop-first' } },
    'dw',
  );

  it('creates a stopped service (0 replicas, the started count in a label) publishing the app port per task in host mode', () => {
    const body = serviceCreateBody(
      {
        name: 'dw-web-prod-v2',
        image: 'registry.test/web@sha256:abc',
        labels: { 'docker-watcher.project': 'web' },
        env: ['A=1'],
        volumes: ['/srv/data:/data:ro', 'cache:/cache', '/tmp/scratch'],
        network: 'dw-swarm',
        port: 3000,
        publishHost: '127.0.0.1',
        restartPolicy: 'unless-stopped',
        memoryBytes: 512 * 1024 * 1024,
        nanoCpus: 500_000_000,
        log: { driver: 'json-file', options: { 'max-size': '10m' } },
        stopTimeoutSeconds: 10,
      },
      settings,
    );
    expect(body).toEqual({
      Name: 'dw-web-prod-v2',
      Labels: { 'docker-watcher.project': 'web', 'docker-watcher.replicas': '3' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'registry.test/web@sha256:abc',
          Labels: { 'docker-watcher.project': 'web' },
          Env: ['A=1'],
          Mounts: [
            { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true },
            { Type: 'volume', Source: 'cache', Target: '/cache' },
            { Type: 'volume', Target: '/tmp/scratch' },
          ],
          StopGracePeriod: 10_000_000_000,
        },
        Resources: { Limits: { MemoryBytes: 536870912, NanoCPUs: 500000000 } },
        RestartPolicy: { Condition: 'any', Delay: 1_000_000_000 },
        Placement: { Constraints: ['node.role==worker'] },
        Networks: [{ Target: 'dw-swarm' }],
        LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      },
      Mode: { Replicated: { Replicas: 0 } },
      UpdateConfig: { Parallelism: 1, Delay: 0, Order: 'stop-first', FailureAction: 'pause' },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 3000, PublishMode: 'host' }] },
    });
  });

  it('maps volumes like the container runtime does', () => {
    expect(serviceMount('./rel:/x')).toEqual({ Type: 'bind', Source: './rel', Target: '/x' });
  });

  it('passes the registry login as the engine expects it in X-Registry-Auth', () => {
    expect(registryAuth({ username: 'u', password: 'p', serverAddress: 'reg.test' })).toEqual({
      username: 'u',
      password: 'p',
      serveraddress: 'reg.test',
    });
    expect(registryAuth(undefined)).toBeUndefined();
  });
});

describe('resolveSwarmSettings', () => {
  it('takes project keys over global ones, then the defaults', () => {
    expect(resolveSwarmSettings({}, undefined, 'docker-watcher')).toEqual({
      replicas: 1,
      network: 'docker-watcher-swarm',
      placement: [],
      update: { parallelism: 1, delaySeconds: 0, order: 'start-first' },
      startTimeoutSeconds: 60,
    });
    expect(
      resolveSwarmSettings(
        { replicas: 2, network: 'ov', update: { parallelism: 2 } },
        { replicas: 4, placement: ['node.role==worker'] },
        'dw',
      ),
    ).toMatchObject({
      replicas: 4,
      network: 'ov',
      placement: ['node.role==worker'],
      update: { parallelism: 2, order: 'start-first' },
    });
  });
});
