import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { ConfigError } from '../../../src/core/errors.js';
import { createRouteKeeper } from '../../../src/deploy/route-keeper.js';
import { StageQueue } from '../../../src/deploy/stage-queue.js';
import type { DeployIntent } from '../../../src/core/deploy-types.js';
import { createDockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import {
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  type ContainerSpec,
} from '../../../src/docker/engine.js';
import { assertSwarmManager } from '../../../src/docker/swarm/create-runtime.js';
import { createSwarmEngine } from '../../../src/docker/swarm/swarm-engine.js';
import type { SwarmServiceSettings } from '../../../src/docker/swarm/swarm-settings.js';
import {
  dockerSocket,
  requireDocker,
  testDocker,
  testRunId,
  useTestInstance,
} from '../../helpers/docker-env.js';
import {
  AUTH_REGISTRY,
  AUTH_REGISTRY_CREDENTIALS,
  buildTestImage,
  OPEN_REGISTRY,
} from '../../helpers/test-images.js';
import { silentLogger } from '../../../src/log/logger.js';
import { ensureTestSwarm } from '../../helpers/test-swarm.js';
import { fastGlobal, fetchBody, realDeployer, uniqueProject } from '../deploy/real-deployer.js';

const hasDocker = await requireDocker();

/** An engine API on a unix socket that answers GET /info with the given Swarm state. */
async function fakeEngine(swarm: object): Promise<{ socket: string; server: Server }> {
  const socket = join(tmpdir(), `dw-fake-engine-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(request.url?.endsWith('/info') ? { Swarm: swarm } : {}));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, server };
}

describe('a config that asks for a Swarm the engine does not manage', () => {
  it('fails at start-up naming the projects and what to do, for an engine outside a Swarm and a worker', async () => {
    const outside = await fakeEngine({ LocalNodeState: 'inactive', ControlAvailable: false });
    const worker = await fakeEngine({ LocalNodeState: 'active', ControlAvailable: false });
    try {
      const fails = assertSwarmManager(outside.socket, ['web', 'api']);
      await expect(fails).rejects.toBeInstanceOf(ConfigError);
      await expect(fails).rejects.toThrow(
        /projects web, api.*not part of a Swarm \(state: inactive\).*docker swarm init/,
      );
      await expect(assertSwarmManager(worker.socket, ['web'])).rejects.toThrow(/Swarm worker, not a manager/);
      // Nothing asks for a Swarm: nothing is checked.
      await expect(assertSwarmManager('/nonexistent.sock', [])).resolves.toBeUndefined();
    } finally {
      for (const fake of [outside, worker]) {
        fake.server.close();
        rmSync(fake.socket, { force: true });
      }
    }
  });
});

describe.skipIf(!hasDocker)('Swarm runtime faults on a real Swarm', () => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const repository = `swarm-it/${project}/app`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  const network = `dw-ov-${instanceId}`;
  const fx = realDeployer({
    instanceId,
    config: {
      global: fastGlobal(instanceId),
      projects: {
        [project]: {
          image,
          port: 8080,
          healthcheck: '/health',
          runtime: 'swarm',
          swarm: { network, start_timeout_seconds: 15 },
          stages: {
            dev: { tag_pattern: '*', auto_deploy: true },
          },
        },
        [`${project}m`]: {
          image,
          port: 8080,
          healthcheck: '/health',
          runtime: 'swarm',
          swarm: { network, placement: ['node.labels.dw-zone==mars'] },
          stages: { dev: { tag_pattern: '*', auto_deploy: true } },
        },
      },
    },
  });
  const intent = (tag: string, on = project): DeployIntent => ({
    project: on,
    stage: 'dev',
    image,
    tag,
    trigger: 'ci',
  });

  beforeAll(async () => {
    await ensureTestSwarm(testRunId());
    await Promise.all([
      buildTestImage({ repository, tag: 'v1', behaviour: 'healthy', instanceId }),
      buildTestImage({ repository, tag: 'chatty', behaviour: 'chatty', chattyLines: 3, instanceId }),
    ]);
  });

  it('fails a deploy whose placement no node satisfies at once, naming the constraint', async () => {
    const started = Date.now();
    const record = await fx.deploy(intent('v1', `${project}m`));
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('start');
    expect(record.error?.message).toMatch(
      /no node of the Swarm can run service .* node\.labels\.dw-zone==mars/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await fx.docker.listManagedContainers({ project: `${project}m`, instanceId })).toEqual([]);
  });

  it("aggregates a service's logs over its tasks and samples its stats", async () => {
    const v1 = await fx.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    expect(await fetchBody(v1.url!)).toMatch(/^200 .*v1/s);
    const live = await fx.docker.inspectContainer(v1.containerId!);
    expect(live).toMatchObject({ name: `dw-${project}-dev-v1`, state: 'running' });
    const stats = await fx.docker.containerStats(v1.containerId!);
    expect(stats).toMatchObject({ state: 'running', restartCount: 0 });
    expect(stats.state !== 'gone' && stats.memoryBytes).toBeGreaterThan(0);
    const lines: string[] = [];
    await fx.docker.streamLogs(
      v1.containerId!,
      { timestamps: true, signal: AbortSignal.timeout(5000) },
      (line) => void lines.push(line.text),
    );
    expect(lines.join('\n')).toMatch(/listening|8080|v1/i);
  });

  it("re-points the route to the replacement of a task that died (its port changes), as after a container's restart", async () => {
    const live = fx.store.getLive(project, 'dev')!;
    const domain = fx.settings.stage(project, 'dev').domain;
    const keeper = createRouteKeeper({
      settings: fx.settings,
      docker: fx.docker,
      store: fx.store,
      router: fx.router,
      clock: systemClock,
      logger: silentLogger,
      instanceId,
      stages: new StageQueue(),
    });
    keeper.start();
    try {
      const before = (await fx.docker.inspectContainer(live.containerId))!.hostPort!;
      await fx.router.switchTo({ ...fx.router.routes.get(domain)!, hostPort: before });
      // The task's container dies; the Swarm starts a new task, on a port of its own.
      const [task] = await testDocker().listContainers({
        filters: { label: [`com.docker.swarm.service.id=${live.containerId}`] },
      });
      await testDocker().getContainer(task!.Id).kill();
      let routed = before;
      for (let waited = 0; routed === before && waited < 20_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        routed = fx.router.routes.get(domain)?.hostPort ?? before;
      }
      const now = (await fx.docker.inspectContainer(live.containerId))!;
      expect(now.state).toBe('running');
      expect(routed).not.toBe(before);
      expect(routed).toBe(now.hostPort);
      expect(await fetchBody(`http://127.0.0.1:${routed}/`)).toMatch(/^200 .*v1/s);
    } finally {
      await keeper.stop();
    }
  });

  it('pulls a private image on the node with the login passed at service create, and fails naming the refusal without it', async () => {
    const built = await buildTestImage({
      repository: `swarm-it/${project}/private`,
      tag: 'p1',
      behaviour: 'healthy',
      registry: AUTH_REGISTRY,
      instanceId,
    });
    // Not on the node: the task must pull it, as on a node that never saw it.
    await testDocker().getImage(built.ref).remove({ force: true });
    const settings: SwarmServiceSettings = {
      replicas: 1,
      network,
      placement: [],
      update: { parallelism: 1, delaySeconds: 0, order: 'start-first' },
      startTimeoutSeconds: 20,
    };
    const labels = { [LABEL_PROJECT]: project, [LABEL_STAGE]: 'auth', [LABEL_INSTANCE]: instanceId };
    const spec = (name: string): ContainerSpec => ({
      name,
      image: built.digestRef,
      labels,
      env: [],
      volumes: [],
      network,
      port: 8080,
      publishHost: '127.0.0.1',
      restartPolicy: 'unless-stopped',
      stopTimeoutSeconds: 1,
    });
    const engine = (withLogin: boolean) =>
      createSwarmEngine({
        socketPath: dockerSocket(),
        local: createDockerodeEngine({ socketPath: dockerSocket() }),
        networkLabels: { [LABEL_INSTANCE]: instanceId },
        serviceSettings: () => ({
          swarm: settings,
          ...(withLogin ? { credentials: AUTH_REGISTRY_CREDENTIALS } : {}),
        }),
      });
    const anonymous = engine(false);
    await anonymous.ensureNetwork(network);
    const refused = await anonymous.createContainer(spec(`dw-${project}-noauth`));
    // A node whose pull is refused reports the task as "No such image" (the engine's own words).
    await expect(anonymous.startContainer(refused.id)).rejects.toThrow(
      /failed while starting: No such image: .*private@sha256.*could not pull it/,
    );
    await anonymous.removeContainer(refused.id);

    const authed = engine(true);
    const service = await authed.createContainer(spec(`dw-${project}-auth`));
    await authed.startContainer(service.id);
    const running = await authed.inspectContainer(service.id);
    expect(running?.state).toBe('running');
    expect(await fetchBody(`http://127.0.0.1:${running!.hostPort!}/`)).toMatch(/^200 .*p1/s);
    await authed.removeContainer(service.id);
  });
});
