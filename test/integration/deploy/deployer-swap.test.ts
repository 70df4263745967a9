import { beforeAll, describe, expect, it } from 'vitest';
import type { DeployIntent, DeployRecord } from '../../../src/core/deploy-types.js';
import { requireDocker, testRunId, useTestInstance } from '../../helpers/docker-env.js';
import { ensureTestSwarm } from '../../helpers/test-swarm.js';
import { buildTestImage, OPEN_REGISTRY } from '../../helpers/test-images.js';
import { fastGlobal, fetchBody, realDeployer, uniqueProject } from './real-deployer.js';

const hasDocker = await requireDocker();

/**
 * The same swaps, failures, rollback and burst on both runtimes: containers on the engine, and
 * services (two replicas each) on a real single-node Swarm of the same engine.
 */
const runtimes = [
  { runtime: 'docker' as const, on: 'the real Docker engine' },
  { runtime: 'swarm' as const, on: 'a real Docker Swarm (2 replicas)' },
];

describe.skipIf(!hasDocker).each(runtimes)('deployer on $on: swaps, failures, bursts', ({ runtime }) => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const repository = `deployer-it/${project}/app`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  const fx = realDeployer({
    instanceId,
    config: {
      global: fastGlobal(instanceId),
      projects: {
        [project]: {
          image,
          port: 8080,
          healthcheck: '/health',
          ...(runtime === 'swarm'
            ? { runtime, swarm: { replicas: 2, network: `dw-ov-${instanceId}`, start_timeout_seconds: 20 } }
            : {}),
          stages: {
            dev: { tag_pattern: '*', auto_deploy: true },
            burst: { tag_pattern: '*', auto_deploy: true },
          },
        },
      },
    },
  });
  const intent = (tag: string, stage = 'dev'): DeployIntent => ({
    project,
    stage,
    image,
    tag,
    trigger: 'ci',
  });
  let v1: DeployRecord;
  let v2: DeployRecord;

  beforeAll(async () => {
    if (runtime === 'swarm') await ensureTestSwarm(testRunId());
    await Promise.all(
      (
        [
          ['v1', 'healthy'],
          ['v2', 'healthy'],
          ['exits', 'exit'],
          ['sick', 'unhealthy'],
          ['deaf', 'no-listen'],
        ] as const
      ).map(([tag, behaviour]) => buildTestImage({ repository, tag, behaviour, instanceId })),
    );
  });

  /** Containers of a stage, by name and state: anything else would be an orphan. */
  async function stageContainers(stage: string) {
    const list = await fx.docker.listManagedContainers({ project, stage, instanceId });
    return Object.fromEntries(list.map((c) => [c.name, c.state]));
  }

  it('deploys a first version that answers on its published port', async () => {
    v1 = await fx.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    expect(v1.imageRef).toMatch(/@sha256:/);
    expect(await fetchBody(v1.url!)).toMatch(/^200 .*v1/s);
  });

  it('swaps to a second version, stopping and keeping the first', async () => {
    v2 = await fx.deploy(intent('v2'));
    expect(v2.status, JSON.stringify(v2.error)).toBe('succeeded');
    expect(await fetchBody(v2.url!)).toMatch(/^200 .*v2/s);
    expect(await stageContainers('dev')).toEqual({
      [`dw-${project}-dev-v1`]: 'exited',
      [`dw-${project}-dev-v2`]: 'running',
    });
    expect(await fetchBody(v1.url!)).toMatch(/^unreachable/);
  });

  // A container that exits at once is caught in `start` when it is already down at the first
  // inspect, otherwise by the health checker a moment later: either way the message says so.
  const failures: [string, string, string, RegExp][] = [
    ['a tag that does not exist', 'nope', 'pull', /:nope: .*no such image or tag/],
    // ...or, when the engine has already restarted it (unless-stopped), as a crash loop.
    [
      'a container that exits at once',
      'exits',
      'start|health',
      /exited with code 3|restarted .*keeps crashing/i,
    ],
    ['a container that is never healthy', 'sick', 'health', /deadline|5\d\d/i],
    ['an app that listens on no port', 'deaf', 'health', /refused|deadline|ECONNREFUSED|reset/i],
  ];
  for (const [what, tag, phase, message] of failures) {
    it(`fails cleanly on ${what}, v2 still serving`, async () => {
      const record = await fx.deploy(intent(tag));
      expect(record.status).toBe('failed');
      expect(record.error?.phase).toMatch(new RegExp(`^(${phase})$`));
      expect(record.error?.message).toMatch(message);
      expect(await fetchBody(v2.url!)).toMatch(/^200 .*v2/s);
      expect(fx.store.getLive(project, 'dev')?.deployId).toBe(v2.id);
      expect(await stageContainers('dev')).toEqual({
        [`dw-${project}-dev-v1`]: 'exited',
        [`dw-${project}-dev-v2`]: 'running',
      });
    });
  }

  it('rolls back by restarting the kept container of v1', async () => {
    const record = await fx.deployer.waitFor(fx.deployer.rollback(project, 'dev', 'tester').id);
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    expect(record.containerId).toBe(v1.containerId);
    expect(await fetchBody(record.url!)).toMatch(/^200 .*v1/s);
    expect(await stageContainers('dev')).toEqual({
      [`dw-${project}-dev-v1`]: 'running',
      [`dw-${project}-dev-v2`]: 'exited',
    });
  });

  it('handles 20 requests for one stage within a second: one runs, the rest superseded or serialized', async () => {
    const records = Array.from({ length: 20 }, (_, i) =>
      fx.deployer.submit(intent(i % 2 === 0 ? 'v1' : 'v2', 'burst')),
    );
    const finals = await Promise.all(records.map((r) => fx.deployer.waitFor(r.id)));
    const statuses = finals.map((r) => r.status);
    expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'superseded')).toHaveLength(18);
    expect(statuses[19]).toBe('succeeded');
    expect(fx.store.getLive(project, 'burst')?.deployId).toBe(records[19]!.id);
    expect(await stageContainers('burst')).toEqual({
      [`dw-${project}-burst-v1`]: 'exited',
      [`dw-${project}-burst-v2`]: 'running',
    });
  });
});
