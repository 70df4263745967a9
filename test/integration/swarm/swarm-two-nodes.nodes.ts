import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployIntent, DeployRecord } from '../../../src/core/deploy-types.js';
import { silentLogger } from '../../../src/log/logger.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { trustedProxies } from '../../../src/net/client-address.js';
import { createBuiltinRouter } from '../../../src/proxy/builtin/builtin-router.js';
import { startRouterServer, type RouterServer } from '../../../src/proxy/builtin/router-server.js';
import { requireDocker, testDocker, testRunId, useTestInstance } from '../../helpers/docker-env.js';
import { startSwarmWorker, type SwarmWorker } from '../../helpers/swarm-worker.js';
import { buildTestImage, type TestImageOptions } from '../../helpers/test-images.js';
import { ensureTestSwarm } from '../../helpers/test-swarm.js';
import { fastGlobal, realDeployer, uniqueProject } from '../deploy/real-deployer.js';

const hasDocker = await requireDocker();

/**
 * A real second node: a worker engine from this machine's own binaries (swarm-worker.ts). One
 * stage, deployed by two deployers of the same store and router that differ only in placement,
 * so a version runs on the manager or on the worker as each test needs. The worker reaches no
 * registry of the test run (they listen on this host's loopback): its images are loaded into it,
 * under a name no registry has, so the deploy names them by tag and no digest.
 */
describe.skipIf(!hasDocker)('Swarm runtime on two nodes', () => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const network = `dw-ov-${instanceId}`;
  const image = `dw-two-node-${instanceId}/${project}`;
  const router = createBuiltinRouter({ reach: 'host', publishHost: '127.0.0.1', drainTimeoutMs: 1000 });
  let worker: SwarmWorker;
  let server: RouterServer;

  const store = openSqliteStore(':memory:');
  const deployerOn = (placement: string[], deadlineSeconds = 8, replicas = 1) =>
    realDeployer({
      instanceId,
      store,
      config: {
        global: {
          ...fastGlobal(instanceId),
          health: {
            deadline_seconds: deadlineSeconds,
            interval_seconds: 0.2,
            timeout_seconds: 1,
            // The slow version answers 404 on /health until the node goes: that must not end it first.
            client_error_grace_seconds: deadlineSeconds,
          },
        },
        projects: {
          [project]: {
            image,
            port: 8080,
            healthcheck: '/health',
            runtime: 'swarm',
            pull_policy: 'never',
            swarm: { network, placement, replicas, start_timeout_seconds: 30 },
            stages: { dev: { tag_pattern: '*', auto_deploy: true } },
          },
        },
      },
      deps: { router },
    });
  const onManager = deployerOn(['node.role==manager']);
  const onWorker = deployerOn(['node.role==worker']);
  const onWorkerSlowly = deployerOn(['node.role==worker'], 120);
  const nowhere = deployerOn(['node.role==worker', 'node.labels.dw-zone==mars']);
  const onBoth = deployerOn([], 8, 2);
  const domain = onManager.settings.stage(project, 'dev').domain;
  const intent = (tag: string): DeployIntent => ({ project, stage: 'dev', image, tag, trigger: 'ci' });

  /** A test image under the local-only name, in the manager's engine and (onWorker) the worker's. */
  async function version(
    tag: string,
    behaviour: TestImageOptions['behaviour'],
    onWorkerToo: boolean,
    healthDelaySeconds?: number,
  ) {
    const built = await buildTestImage({
      repository: `swarm-2n/${project}`,
      tag,
      behaviour,
      instanceId,
      ...(healthDelaySeconds === undefined ? {} : { healthDelaySeconds }),
    });
    await testDocker().getImage(built.ref).tag({ repo: image, tag });
    if (onWorkerToo) await worker.loadImage(`${image}:${tag}`);
  }

  /** GET / through the built-in router's listener, as people reach the stage (fetch cannot set Host). */
  function throughRouter(): Promise<string> {
    return new Promise((resolve) => {
      const request = get(
        { host: '127.0.0.1', port: server.port, path: '/', headers: { host: domain }, timeout: 3000 },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve(`${response.statusCode} ${body}`));
        },
      );
      request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
      request.on('error', (error) => resolve(`unreachable: ${error.message}`));
    });
  }

  const nodeOfTasks = async (serviceId: string) => {
    const tasks: { NodeID?: string }[] = await testDocker().listTasks({
      filters: { service: [serviceId], 'desired-state': ['running'] },
    });
    return tasks.map((task) => task.NodeID);
  };

  beforeAll(async () => {
    await ensureTestSwarm(testRunId());
    worker = await startSwarmWorker(instanceId);
    server = await startRouterServer({
      host: '127.0.0.1',
      port: 0,
      table: router.table,
      stageOf: (asked) => (asked === domain ? `${project}/dev` : undefined),
      ready: () => true,
      trusted: trustedProxies([]),
      upstreamTimeoutMs: 5000,
      logger: silentLogger,
    });
    await Promise.all([
      version('v1', 'healthy', false),
      version('v2', 'healthy', true),
      version('v3', 'slow', true, 600),
      version('v4', 'healthy', false),
    ]);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    // The deploys' services go first (cleanupInstance runs after this), then the node.
    await worker?.remove();
  });

  it("runs a version on the worker with placement node.role==worker, probes it and routes to it at the worker's address", async () => {
    const v1 = await onManager.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    expect(await throughRouter()).toMatch(/^200 .*v1/s);

    const v2 = await onWorker.deploy(intent('v2'));
    expect(v2.status, JSON.stringify(v2.error)).toBe('succeeded');
    const live = (await onWorker.docker.inspectContainer(v2.containerId!))!;
    expect(await nodeOfTasks(live.id)).toEqual([worker.nodeId]);
    expect(live.hostAddress).toBe(worker.address);
    // The health gate probed the task on the worker, not this host's loopback.
    const healthLog = store
      .listEvents(v2.id)
      .map((event) => event.message)
      .join('\n');
    expect(healthLog).toContain(`health-checking http://${worker.address}:${live.hostPort}/health`);
    expect(router.table.get(domain)?.upstreams).toEqual([`http://${worker.address}:${live.hostPort}`]);
    expect(await throughRouter()).toMatch(/^200 .*v2/s);
    expect(v2.url).toBe(`http://${worker.address}:${live.hostPort}`);
  });

  it('fails a deploy whose placement matches no node of the two at once, naming the constraint', async () => {
    const started = Date.now();
    const record = await nowhere.deploy(intent('v2'));
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('start');
    expect(record.error?.message).toMatch(
      /no node of the Swarm can run service .* with placement node\.role==worker, node\.labels\.dw-zone==mars/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await throughRouter()).toMatch(/^200 .*v2/s);
  });

  it('spreads two replicas over the two nodes, and the built-in router routes to both tasks, each at its node', async () => {
    const record = await onBoth.deploy(intent('v2'));
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    const live = (await onBoth.docker.inspectContainer(record.containerId!))!;
    const manager = ((await testDocker().info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    expect((await nodeOfTasks(live.id)).sort()).toEqual([manager, worker.nodeId].sort());
    const upstreams = router.table.get(domain)?.upstreams ?? [];
    expect(upstreams).toHaveLength(2);
    expect(upstreams.filter((u) => u.startsWith(`http://${worker.address}:`))).toHaveLength(1);
    for (let i = 0; i < 4; i++) expect(await throughRouter()).toMatch(/^200 .*v2/s);
  });

  it('fails a deploy whose image is missing on the node its task lands on, naming the image, and the old version serves on', async () => {
    const started = Date.now();
    const record = await onWorker.deploy(intent('v4'));
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('start');
    expect(record.error?.message).toContain(`${image}:v4`);
    expect(record.error?.message).toMatch(/no such image/i);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await throughRouter()).toMatch(/^200 .*v2/s);
  });

  it('fails a deploy whose node goes away while it is health-checked, naming the node, and the old version serves on', async () => {
    // The old version on the manager: it outlives the worker.
    const v1 = await onManager.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    const { id } = onWorkerSlowly.deployer.submit(intent('v3'));
    const inHealth = (record: DeployRecord | undefined) =>
      record?.phases.some((phase) => phase.phase === 'health') === true;
    for (let waited = 0; !inHealth(store.getDeploy(id)) && waited < 60_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.getDeploy(id)?.status).toBe('running');
    await worker.kill();
    const killedAt = Date.now();
    const record = await onWorkerSlowly.deployer.waitFor(id);
    const tookMs = Date.now() - killedAt;
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('health');
    expect(record.error?.message).toMatch(
      new RegExp(
        `was lost: its node ${worker.hostname} \\(${worker.address.replaceAll('.', '\\.')}\\) is down`,
      ),
    );
    // The Swarm declares a node down once its heartbeats stop (about 15 s); the health deadline is 120 s.
    expect(tookMs).toBeLessThan(45_000);
    expect(store.getLive(project, 'dev')?.containerId).toBe(v1.containerId);
    expect(await throughRouter()).toMatch(/^200 .*v1/s);
  }, 90_000);
});
