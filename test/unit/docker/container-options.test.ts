import { describe, expect, it } from 'vitest';
import { containerCreateOptions } from '../../../src/docker/container-options.js';
import type { ContainerSpec } from '../../../src/docker/engine.js';

const spec: ContainerSpec = {
  name: 'dw-web-prod-v1-2-0',
  image: 'registry.example.com/web@sha256:abc',
  labels: { 'docker-watcher.project': 'web' },
  env: ['A=1'],
  volumes: ['/srv/data:/data:ro', 'cache:/cache', '/scratch'],
  network: 'docker-watcher',
  port: 3000,
  publishHost: '127.0.0.1',
  restartPolicy: 'unless-stopped',
};

describe('containerCreateOptions', () => {
  it('publishes the app port to a random port on publishHost and joins the network', () => {
    expect(containerCreateOptions(spec)).toEqual({
      name: 'dw-web-prod-v1-2-0',
      Image: 'registry.example.com/web@sha256:abc',
      Labels: { 'docker-watcher.project': 'web' },
      Env: ['A=1'],
      ExposedPorts: { '3000/tcp': {} },
      Volumes: { '/scratch': {} },
      HostConfig: {
        PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        RestartPolicy: { Name: 'unless-stopped' },
        NetworkMode: 'docker-watcher',
        Binds: ['/srv/data:/data:ro', 'cache:/cache'],
      },
      NetworkingConfig: { EndpointsConfig: { 'docker-watcher': {} } },
    });
  });

  it('sets limits, log config and stop timeout only when given', () => {
    const options = containerCreateOptions({
      ...spec,
      volumes: [],
      memoryBytes: 1024,
      nanoCpus: 5,
      stopTimeoutSeconds: 7,
      log: { driver: 'local', options: { 'max-size': '1m' } },
    });
    expect(options.StopTimeout).toBe(7);
    expect(options.Volumes).toBeUndefined();
    expect(options.HostConfig).toMatchObject({
      Memory: 1024,
      NanoCpus: 5,
      LogConfig: { Type: 'local', Config: { 'max-size': '1m' } },
    });
    expect(options.HostConfig?.Binds).toBeUndefined();
  });
});
