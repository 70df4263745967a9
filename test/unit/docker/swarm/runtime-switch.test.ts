import { describe, expect, it } from 'vitest';
import {
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  type ContainerEvent,
  type ContainerSpec,
} from '../../../../src/docker/engine.js';
import { createRuntimeSwitch } from '../../../../src/docker/swarm/runtime-switch.js';
import { SWARM_SERVICE_LABEL } from '../../../../src/docker/swarm/swarm-engine.js';
import { FakeDockerEngine } from '../../../fakes/fake-docker-engine.js';

const spec = (project: string, name: string, labels: Record<string, string> = {}): ContainerSpec => ({
  name,
  image: 'registry.test/app:v1',
  labels: { [LABEL_PROJECT]: project, [LABEL_STAGE]: 'dev', [LABEL_INSTANCE]: 'host-a', ...labels },
  env: [],
  volumes: [],
  network: project === 'svc' ? 'dw-swarm' : 'dw',
  port: 8080,
  publishHost: '127.0.0.1',
  restartPolicy: 'unless-stopped',
});

function fixture() {
  const host = new FakeDockerEngine();
  const swarm = new FakeDockerEngine();
  host.addImage('registry.test/app:v1');
  swarm.addImage('registry.test/app:v1');
  for (const engine of [host, swarm]) {
    engine.addNetwork('dw');
    engine.addNetwork('dw-swarm');
  }
  const runtime = createRuntimeSwitch({
    host,
    swarm,
    onSwarm: (project) => project === 'svc',
    swarmNetworks: new Set(['dw-swarm']),
  });
  return { host, swarm, runtime };
}

describe('createRuntimeSwitch', () => {
  it("creates in the project's runtime and sends every call by id to the runtime that owns it", async () => {
    const { host, swarm, runtime } = fixture();
    const container = await runtime.createContainer(spec('web', 'dw-web-dev-v1'));
    const service = await runtime.createContainer(spec('svc', 'dw-svc-dev-v1'));
    expect(host.allContainers().map((c) => c.name)).toEqual(['dw-web-dev-v1']);
    expect(swarm.allContainers().map((c) => c.name)).toEqual(['dw-svc-dev-v1']);
    await runtime.startContainer(service.id);
    await runtime.startContainer(container.id);
    expect((await swarm.inspectContainer(service.id))?.state).toBe('running');
    expect((await host.inspectContainer(container.id))?.state).toBe('running');
    expect((await runtime.inspectContainer('dw-svc-dev-v1'))?.id).toBe(service.id);
    expect((await runtime.inspectContainer('dw-web-dev-v1'))?.id).toBe(container.id);
    await runtime.removeContainer(service.id);
    expect(swarm.allContainers()).toEqual([]);
    expect(host.allContainers()).toHaveLength(1);
  });

  it("lists both, leaving out the containers of a service's tasks, whose events become the service's", async () => {
    const { host, swarm, runtime } = fixture();
    const service = await swarm.createContainer(
      spec('svc', 'dw-svc-dev-v1', { 'docker-watcher.replicas': '1' }),
    );
    await swarm.startContainer(service.id);
    swarm.patchContainer(service.id, { instances: [{ name: 'dw-svc-dev-v1.1', hostPort: 30001 }] });
    const task = host.addContainer(
      spec('svc', 'dw-svc-dev-v1.1.abc', { [SWARM_SERVICE_LABEL]: service.id }),
      {
        state: 'running',
      },
    );
    const container = host.addContainer(spec('web', 'dw-web-dev-v1'), { state: 'running' });
    const listed = await runtime.listManagedContainers({ instanceId: 'host-a' });
    expect(listed.map((c) => c.id).sort()).toEqual([service.id, container.id].sort());
    expect(await runtime.inspectContainer(task.id)).toBeUndefined();

    const events: ContainerEvent[] = [];
    const watching = new AbortController();
    const watched = runtime.watchEvents((event) => events.push(event), watching.signal);
    host.emitEvent({ containerId: task.id, action: 'start', labels: { ...task.labels } });
    host.emitEvent({ containerId: container.id, action: 'die', labels: { ...container.labels } });
    // A task's start is passed on once its service runs with its port (read from the Swarm).
    for (let waited = 0; events.length < 2 && waited < 2000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    watching.abort();
    await watched;
    expect(events.map((e) => [e.containerId, e.action])).toEqual([
      [container.id, 'die'],
      [service.id, 'start'],
    ]);
  });

  it('ensures the Swarm networks in the Swarm (overlays) and every other one on the host', async () => {
    const { host, swarm, runtime } = fixture();
    await runtime.ensureNetwork('dw-swarm');
    await runtime.ensureNetwork('dw');
    expect(swarm.calls.filter((c) => c.method === 'ensureNetwork')).toEqual([
      { method: 'ensureNetwork', target: 'dw-swarm' },
    ]);
    expect(host.calls.filter((c) => c.method === 'ensureNetwork')).toEqual([
      { method: 'ensureNetwork', target: 'dw' },
    ]);
  });
});
