import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import type { DeployIntent, DeployRecord } from '../../../src/core/deploy-types.js';
import { createLifecycle } from '../../../src/deploy/lifecycle.js';
import { reconcile } from '../../../src/deploy/reconcile.js';
import { silentLogger } from '../../../src/log/logger.js';
import { requireDocker, testRunId, useTestInstance } from '../../helpers/docker-env.js';
import { ensureTestSwarm } from '../../helpers/test-swarm.js';
import { AUTH_REGISTRY, buildTestImage } from '../../helpers/test-images.js';
import { fastGlobal, fetchBody, realDeployer, uniqueProject } from './real-deployer.js';

const hasDocker = await requireDocker();

/** Credentials, crash recovery and adoption on both runtimes (services on a real Swarm too). */
const runtimes = [
  { runtime: 'docker' as const, on: 'the real Docker engine' },
  { runtime: 'swarm' as const, on: 'a real Docker Swarm' },
];

const eachRuntime = describe.skipIf(!hasDocker).each(runtimes);
eachRuntime('deployer on $on: credentials and crash recovery', ({ runtime }) => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const image = `${AUTH_REGISTRY}/deployer-it/${project}/app`;
  const swarm = runtime === 'swarm' ? { runtime, swarm: { network: `dw-ov-${instanceId}` } } : {};
  const config = {
    global: { ...fastGlobal(instanceId), ...swarm },
    registries: {
      auth: { url: `http://${AUTH_REGISTRY}`, username: 'dw', token_env: 'DW_IT_REGISTRY_TOKEN' },
    },
    projects: {
      [project]: {
        image,
        registry: 'auth',
        port: 8080,
        healthcheck: '/health',
        stages: { dev: { tag_pattern: '*', auto_deploy: true } },
      },
    },
  };
  const good = realDeployer({ instanceId, config, secrets: { DW_IT_REGISTRY_TOKEN: 'dw-secret' } });
  const shared = { docker: good.docker, store: good.store, router: good.router };
  const intent = (tag: string): DeployIntent => ({ project, stage: 'dev', image, tag, trigger: 'ci' });
  let v1: DeployRecord;
  let v2: DeployRecord;

  beforeAll(async () => {
    if (runtime === 'swarm') await ensureTestSwarm(testRunId());
    await Promise.all(
      ['v1', 'v2'].map((tag) =>
        buildTestImage({
          repository: `deployer-it/${project}/app`,
          tag,
          behaviour: 'healthy',
          registry: AUTH_REGISTRY,
          instanceId,
        }),
      ),
    );
  });

  async function containerNames() {
    const list = await good.docker.listManagedContainers({ project, instanceId });
    return Object.fromEntries(list.map((c) => [c.name, c.state]));
  }

  it('pulls from a registry that needs credentials', async () => {
    v1 = await good.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    expect(await fetchBody(v1.url!)).toMatch(/^200 .*v1/s);
  });

  it('fails in pull with wrong credentials, naming the image, v1 still serving', async () => {
    const bad = realDeployer({
      instanceId,
      config,
      secrets: { DW_IT_REGISTRY_TOKEN: 'wrong-password' },
      ...shared,
    });
    const record = await bad.deploy(intent('v2'));
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('pull');
    expect(record.error?.message).toContain(`${image}:v2`);
    expect(record.error?.message).toMatch(/rejected the credentials/);
    expect(record.error?.message).not.toContain('wrong-password');
    expect(await fetchBody(v1.url!)).toMatch(/^200 .*v1/s);
    expect(await containerNames()).toEqual({ [`dw-${project}-dev-v1`]: 'running' });
  });

  it('reconciles a deploy cut off by a crash during its health check', async () => {
    let reached!: () => void;
    const inHealth = new Promise<void>((resolve) => (reached = resolve));
    const crashing = realDeployer({
      instanceId,
      config,
      secrets: { DW_IT_REGISTRY_TOKEN: 'dw-secret' },
      ...shared,
      // The process "dies" here: the health check never returns and nothing is undone.
      deps: { waitUntilHealthy: () => (reached(), new Promise(() => {})) },
    });
    const cut = crashing.deployer.submit(intent('v2'));
    await inHealth;
    expect(await containerNames()).toEqual({
      [`dw-${project}-dev-v1`]: 'running',
      [`dw-${project}-dev-v2`]: 'running',
    });

    // The restarted app: `good` recovers, undoing the cut-off deploy before trying it again.
    const states: string[] = [];
    const unsubscribe = good.deployer.subscribe(cut.id, (event) => {
      if (event.type === 'status') states.push(event.status!);
    });
    const summary = await good.deployer.recover();
    expect(summary).toMatchObject({
      interrupted: [],
      retried: [cut.id],
      removedContainers: [`dw-${project}-dev-v2`],
      adopted: [],
    });
    const retried = await good.deployer.waitFor(cut.id);
    unsubscribe();
    expect(retried.status, JSON.stringify(retried.error)).toBe('succeeded');
    expect(retried.attempt).toBe(2);
    // Its history shows both attempts: the first cut off in health, the second through to the end.
    expect(retried.phases.filter((p) => p.phase === 'health').map((p) => p.ok)).toEqual([undefined, true]);
    expect(states).toEqual(['queued', 'running', 'succeeded']);
    expect(await fetchBody(retried.url!)).toMatch(/^200 .*v2/s);
    expect(await containerNames()).toEqual({
      [`dw-${project}-dev-v1`]: 'exited',
      [`dw-${project}-dev-v2`]: 'running',
    });

    const lifecycle = createLifecycle({ store: good.store, clock: systemClock, logger: silentLogger });
    const deps = {
      ...shared,
      settings: good.settings,
      clock: systemClock,
      logger: silentLogger,
      instanceId,
      lifecycle,
    };
    expect(await reconcile(deps)).toEqual({
      interrupted: [],
      completed: [],
      retried: [],
      resumed: [],
      removedContainers: [],
      restoredRoutes: [],
      restartedContainers: [],
      adopted: [],
    });
    v2 = retried;
  });

  it('adopts the running container when the database lost the live record', async () => {
    good.store.clearLive(project, 'dev');
    const summary = await reconcile({
      ...shared,
      settings: good.settings,
      clock: systemClock,
      logger: silentLogger,
      instanceId,
      lifecycle: createLifecycle({ store: good.store, clock: systemClock, logger: silentLogger }),
    });
    expect(summary.adopted).toEqual([`${project}/dev`]);
    expect(good.store.getLive(project, 'dev')).toMatchObject({
      deployId: v2.id,
      tag: 'v2',
      containerId: v2.containerId,
    });
  });
});
