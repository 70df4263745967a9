import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmSchema, type ConfigInput } from '../../../src/config/schema.js';
import { systemClock } from '../../../src/core/clock.js';
import type { DeployIntent } from '../../../src/core/deploy-types.js';
import { silentLogger, type LogFields, type Logger } from '../../../src/log/logger.js';
import { findOrphans } from '../../../src/ops/orphans.js';
import { createNpmClient, type NpmClient } from '../../../src/proxy/npm/npm-client.js';
import { createNpmRouter } from '../../../src/proxy/npm/npm-router.js';
import type { ProxyRouter } from '../../../src/proxy/router.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { startFakeNpm, type FakeNpm } from '../../fakes/npm/fake-npm-server.js';
import { requireDocker, testRunId, useTestInstance } from '../../helpers/docker-env.js';
import { ensureTestSwarm } from '../../helpers/test-swarm.js';
import { buildTestImage, OPEN_REGISTRY } from '../../helpers/test-images.js';
import { fastGlobal, realDeployer, realRuntime, uniqueProject } from '../deploy/real-deployer.js';

const hasDocker = await requireDocker();

/** A logger that keeps warnings, to check what start-up reports. */
function recordingLogger(): Logger & { warnings: { message: string; fields?: LogFields }[] } {
  const warnings: { message: string; fields?: LogFields }[] = [];
  const logger = {
    ...silentLogger,
    warnings,
    warn: (message: string, fields?: LogFields) =>
      void warnings.push(fields ? { message, fields } : { message }),
    child: () => logger,
  };
  return logger;
}

/** Teardown and orphans of containers, and of services on a real Swarm. */
const runtimes = [
  { runtime: 'docker' as const, on: 'the real engine' },
  { runtime: 'swarm' as const, on: 'a real Swarm' },
];

const eachRuntime = describe.skipIf(!hasDocker).each(runtimes);
eachRuntime('teardown and orphans on $on with the NPM router', ({ runtime }) => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const repository = `ops-it/${project}/app`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  const swarm = runtime === 'swarm' ? { runtime, swarm: { network: `dw-ov-${instanceId}` } } : {};
  const store = openSqliteStore(':memory:');
  const domainOf = (stage: string) => `${stage}-${project}.ops.test`;
  let npm: FakeNpm;
  let client: NpmClient;
  let router: ProxyRouter;

  const configWith = (stages: string[]): ConfigInput => ({
    global: {
      ...fastGlobal(instanceId),
      domain: 'ops.test',
      subdomain_pattern: '{stage}-{project}',
      ...swarm,
    },
    projects: {
      [project]: {
        image,
        port: 8080,
        healthcheck: '/health',
        stages: Object.fromEntries(stages.map((stage) => [stage, { tag_pattern: '*', auto_deploy: true }])),
      },
    },
  });
  const docker = realRuntime(instanceId, configWith(['dev', 'old']));
  const deployerFor = (stages: string[]) =>
    realDeployer({ instanceId, config: configWith(stages), docker, store, deps: { router } });
  const intent = (stage: string, tag: string): DeployIntent => ({
    project,
    stage,
    image,
    tag,
    trigger: 'ci',
  });
  const stageContainers = (stage: string) => docker.listManagedContainers({ project, stage, instanceId });
  const npmDomains = () =>
    npm
      .hosts()
      .flatMap((host) => host.domain_names)
      .sort();

  beforeAll(async () => {
    if (runtime === 'swarm') await ensureTestSwarm(testRunId());
    npm = await startFakeNpm();
    const npmConfig = npmSchema.parse({
      url: npm.url,
      email: npm.email,
      password_env: 'NPM_PASSWORD',
      forward: 'host',
      forward_host: '127.0.0.1',
    });
    client = createNpmClient({
      url: npmConfig.url,
      email: npmConfig.email,
      password: npm.password,
      passwordSource: 'NPM_PASSWORD',
      clock: systemClock,
      logger: silentLogger,
    });
    router = createNpmRouter({ npm: npmConfig, client, instanceId, logger: silentLogger });
    await npm.addHandMadeHost({
      domain_names: ['handmade.ops.test'],
      forward_host: '10.0.0.9',
      forward_port: 80,
    });
    await Promise.all(
      ['v1', 'v2'].map((tag) => buildTestImage({ repository, tag, behaviour: 'healthy', instanceId })),
    );
  });

  afterAll(async () => {
    await client?.close();
    await npm?.close();
    store.close();
  });

  it('removes every container of the stage and our proxy host, keeps the hand-made host', async () => {
    const fx = deployerFor(['dev']);
    for (const tag of ['v1', 'v2']) {
      const record = await fx.deploy(intent('dev', tag));
      expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    }
    expect((await stageContainers('dev')).map((c) => c.state).sort()).toEqual(['exited', 'running']);
    expect(npmDomains()).toEqual([domainOf('dev'), 'handmade.ops.test'].sort());

    const done = await fx.deployer.waitFor(fx.deployer.teardown(project, 'dev', 'api-token').id);

    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.intent).toMatchObject({ trigger: 'teardown', tag: 'v2', requestedBy: 'api-token' });
    expect(await stageContainers('dev')).toEqual([]);
    expect(npmDomains()).toEqual(['handmade.ops.test']);
    expect(store.getLive(project, 'dev')).toBeUndefined();
    expect(npm.rejections).toEqual([]);
  });

  it('reports a stage removed from the config as orphaned, leaves it running, and tears it down by name', async () => {
    const before = deployerFor(['old']);
    const deployed = await before.deploy(intent('old', 'v1'));
    expect(deployed.status, JSON.stringify(deployed.error)).toBe('succeeded');

    const after = deployerFor(['dev']);
    const logger = recordingLogger();
    const orphans = await findOrphans({ config: after.loaded.config, docker, instanceId, logger });
    expect(orphans).toEqual([
      {
        project,
        stage: 'old',
        containers: [{ id: deployed.containerId, name: `dw-${project}-old-v1`, state: 'running' }],
      },
    ]);
    expect(logger.warnings).toEqual([
      {
        message: expect.stringMatching(new RegExp(`${project}/old is no longer in the config.*teardown`)),
        fields: { project, stage: 'old', containers: [`dw-${project}-old-v1`] },
      },
    ]);
    expect((await docker.inspectContainer(deployed.containerId!))?.state).toBe('running');
    expect(npmDomains()).toContain(domainOf('old'));

    const done = await after.deployer.waitFor(after.deployer.teardown(project, 'old').id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(await stageContainers('old')).toEqual([]);
    expect(npmDomains()).toEqual(['handmade.ops.test']);
    expect(await findOrphans({ config: after.loaded.config, docker, instanceId })).toEqual([]);
  });
});
