import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployIntent, DeployRecord } from '../../../src/core/deploy-types.js';
import type { ContainerEvent } from '../../../src/docker/engine.js';
import { requireDocker, useTestInstance } from '../../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY } from '../../helpers/test-images.js';
import { fastGlobal, fetchBody, realDeployer, uniqueProject } from './real-deployer.js';

const hasDocker = await requireDocker();

/**
 * strategy: recreate on the real engine: the old container stops before the new one starts (the
 * two never run at once), a failed new version gives way to the old one again, and the record
 * says which strategy ran and how long the site was down.
 */
describe.skipIf(!hasDocker)('deployer on the real Docker engine: strategy recreate', () => {
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
          stages: {
            one: { tag_pattern: '*', auto_deploy: true, strategy: 'recreate' },
            twice: { tag_pattern: '*', auto_deploy: true },
          },
        },
      },
    },
  });
  const intent = (tag: string, stage = 'one'): DeployIntent => ({
    project,
    stage,
    image,
    tag,
    trigger: 'ci',
  });
  const events: ContainerEvent[] = [];
  const watching = new AbortController();
  let v1: DeployRecord;
  let v2: DeployRecord;

  beforeAll(async () => {
    await Promise.all(
      (
        [
          ['v1', 'healthy'],
          ['v2', 'healthy'],
          ['sick', 'unhealthy'],
        ] as const
      ).map(([tag, behaviour]) => buildTestImage({ repository, tag, behaviour, instanceId })),
    );
    void fx.docker.watchEvents((event) => events.push(event), watching.signal).catch(() => undefined);
  });
  afterAll(() => watching.abort());

  async function stageContainers(stage: string) {
    const list = await fx.docker.listManagedContainers({ project, stage, instanceId });
    return Object.fromEntries(list.map((c) => [c.name, c.state]));
  }

  /** Index in the engine's event stream of the first `action` of a container after `from`. */
  function eventIndex(containerId: string, actions: ContainerEvent['action'][], from: number): number {
    return events.findIndex(
      (e, i) => i >= from && e.containerId === containerId && actions.includes(e.action),
    );
  }

  /** Lets the engine's events of the calls just made arrive (they come a moment after the calls). */
  async function settled(): Promise<void> {
    await new Promise((done) => setTimeout(done, 500));
  }

  it('deploys a first version: nothing was live, so nothing was down', async () => {
    v1 = await fx.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    expect(v1.strategy).toBe('recreate');
    expect(v1.downtimeMs).toBeUndefined();
    expect(await fetchBody(v1.url!)).toMatch(/^200 .*v1/s);
  });

  it('stops the old container before the new one starts, and records the downtime', async () => {
    const from = events.length;
    v2 = await fx.deploy(intent('v2'));
    expect(v2.status, JSON.stringify(v2.error)).toBe('succeeded');
    expect(v2.strategy).toBe('recreate');
    expect(v2.downtimeMs).toBeGreaterThan(0);
    expect(v2.downtimeMs).toBeLessThan(10_000);
    expect(v2.phases.map((p) => p.phase)).toEqual([
      'resolve',
      'pull',
      'create',
      'stop_old',
      'start',
      'health',
      'switch',
      'persist',
    ]);
    expect(await fetchBody(v2.url!)).toMatch(/^200 .*v2/s);
    expect(await stageContainers('one')).toEqual({
      [`dw-${project}-one-v1`]: 'exited',
      [`dw-${project}-one-v2`]: 'running',
    });
    await settled();
    const oldDown = eventIndex(v1.containerId!, ['die', 'stop'], from);
    const newUp = eventIndex(v2.containerId!, ['start'], from);
    expect(oldDown).toBeGreaterThanOrEqual(0);
    expect(newUp).toBeGreaterThan(oldDown);
  });

  it('starts the old version again when the new one is never healthy: a bad version never stays', async () => {
    const from = events.length;
    const record = await fx.deploy(intent('sick'));
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('health');
    expect(record.strategy).toBe('recreate');
    expect(record.downtimeMs).toBeGreaterThan(0);
    expect(fx.store.getLive(project, 'one')?.deployId).toBe(v2.id);
    // Started again, v2 may be published on another host port.
    const port = (await fx.docker.inspectContainer(v2.containerId!))?.hostPort;
    expect(await fetchBody(`http://127.0.0.1:${port}/`)).toMatch(/^200 .*v2/s);
    expect(await stageContainers('one')).toEqual({
      [`dw-${project}-one-v1`]: 'exited',
      [`dw-${project}-one-v2`]: 'running',
    });
    await settled();
    // v2 stopped before the sick one started, and the sick one was gone before v2 started again.
    const sickUp = eventIndex(record.containerId!, ['start'], from);
    const sickGone = eventIndex(record.containerId!, ['die', 'destroy'], from);
    const oldBack = eventIndex(v2.containerId!, ['start'], from);
    expect(eventIndex(v2.containerId!, ['die', 'stop'], from)).toBeLessThan(sickUp);
    expect(sickGone).toBeGreaterThan(sickUp);
    expect(oldBack).toBeGreaterThan(sickGone);
  });

  it('records blue-green deploys as such, with no downtime', async () => {
    const first = await fx.deploy(intent('v1', 'twice'));
    const second = await fx.deploy(intent('v2', 'twice'));
    expect([first.strategy, second.strategy]).toEqual(['blue-green', 'blue-green']);
    expect(second.downtimeMs).toBeUndefined();
  });
});
