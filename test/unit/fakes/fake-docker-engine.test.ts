import { describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import {
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  type ContainerEvent,
  type ContainerSpec,
} from '../../../src/docker/engine.js';
import { FakeDockerEngine } from '../../fakes/fake-docker-engine.js';

function spec(name: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name,
    image: 'registry.test/web@sha256:aaa',
    labels: { [LABEL_PROJECT]: 'web', [LABEL_STAGE]: 'dev', [LABEL_INSTANCE]: 'test' },
    env: [],
    volumes: [],
    network: 'dw',
    port: 8080,
    publishHost: '127.0.0.1',
    restartPolicy: 'unless-stopped',
    ...overrides,
  };
}

describe('FakeDockerEngine', () => {
  it('pulls only what the test allows, then runs a container through its lifecycle', async () => {
    const docker = new FakeDockerEngine();
    await expect(docker.pullImage('registry.test/web:v1')).rejects.toThrow(/registry.test\/web:v1/);
    docker.setPullResult('registry.test/web@sha256:aaa', { exposedPorts: [8080] });
    await docker.pullImage('registry.test/web@sha256:aaa');
    expect((await docker.inspectImage('registry.test/web@sha256:aaa'))?.exposedPorts).toEqual([8080]);

    // As on the engine (test/contract), a missing network fails the start, not the create.
    const created = await docker.createContainer(spec('dw-web-dev-v1'));
    await expect(docker.startContainer(created.id)).rejects.toThrow(/network dw/);
    await docker.ensureNetwork('dw');
    await expect(docker.createContainer(spec('dw-web-dev-v1'))).rejects.toThrow(/already in use/);

    await docker.startContainer(created.id);
    const running = await docker.inspectContainer('dw-web-dev-v1');
    expect(running).toMatchObject({ state: 'running', restartCount: 0 });
    expect(running?.hostPort).toBeGreaterThan(0);

    await docker.stopContainer(created.id);
    expect((await docker.inspectContainer(created.id))?.state).toBe('exited');
    expect((await docker.inspectContainer(created.id))?.hostPort).toBeUndefined();
    await docker.removeContainer(created.id);
    await docker.removeContainer(created.id);
    expect(await docker.inspectContainer(created.id)).toBeUndefined();
    expect(docker.calls.map((c) => c.method)).toContain('removeContainer');
  });

  it('filters managed containers and streams their events until aborted', async () => {
    const docker = new FakeDockerEngine();
    const blue = docker.addContainer(spec('dw-web-dev-v1'), { state: 'running' });
    docker.addContainer(
      spec('dw-web-prod-v1', { labels: { [LABEL_PROJECT]: 'web', [LABEL_STAGE]: 'prod' } }),
    );
    docker.addContainer(spec('unrelated', { labels: {} }), { state: 'running' });

    expect((await docker.listManagedContainers()).map((c) => c.name).sort()).toEqual([
      'dw-web-dev-v1',
      'dw-web-prod-v1',
    ]);
    expect((await docker.listManagedContainers({ stage: 'dev' })).map((c) => c.name)).toEqual([
      'dw-web-dev-v1',
    ]);
    expect((await docker.listManagedContainers({ all: false })).map((c) => c.name)).toEqual([
      'dw-web-dev-v1',
    ]);

    const events: ContainerEvent[] = [];
    const controller = new AbortController();
    const watching = docker.watchEvents((e) => events.push(e), controller.signal);
    docker.crashContainer(blue.id, 3);
    controller.abort();
    await watching;
    expect(events.map((e) => [e.action, e.detail])).toEqual([
      ['die', '3'],
      ['restart', undefined],
    ]);
    expect((await docker.inspectContainer(blue.id))?.restartCount).toBe(1);
    expect(docker.watcherCount).toBe(0);
  });

  it('injects failures once, in order', async () => {
    const docker = new FakeDockerEngine();
    docker.failNext('ping', new ExternalError('docker', 'boom'));
    await expect(docker.ping()).rejects.toThrow('boom');
    await expect(docker.ping()).resolves.toBeUndefined();
  });
});
