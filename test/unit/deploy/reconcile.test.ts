import { describe, expect, it } from 'vitest';
import type { DeployObserver } from '../../../src/deploy/deploy-observer.js';
import { createLifecycle } from '../../../src/deploy/lifecycle.js';
import { reconcile } from '../../../src/deploy/reconcile.js';
import { silentLogger } from '../../../src/log/logger.js';
import { deployerFixture, IMAGE, INSTANCE } from './deployer-fixture.js';

const DOMAIN = 'stage-dev-web.example.test';

/**
 * v1 live, then a v2 deploy that hangs in its health check: the process "crashes" there, in the
 * deploy's `attempt` (2: the crash cut off the second attempt, after an earlier restart).
 */
async function crashedDuringHealth(attempt = 1) {
  const fx = deployerFixture();
  fx.publish('v1');
  fx.publish('v2');
  const v1 = await fx.deploy('v1');
  let reached!: () => void;
  const inHealth = new Promise<void>((resolve) => (reached = resolve));
  fx.health = () => {
    reached();
    return new Promise(() => {});
  };
  const v2 = fx.deployer.submit(fx.intent('v2'));
  await inHealth;
  if (attempt > 1) fx.store.updateDeploy(v2.id, { attempt });
  const run = (observers: readonly DeployObserver[] = []) =>
    reconcile({
      ...fx,
      logger: silentLogger,
      instanceId: INSTANCE,
      lifecycle: createLifecycle({ store: fx.store, clock: fx.clock, logger: silentLogger, observers }),
    });
  return { fx, v1, v2: fx.store.getDeploy(v2.id)!, run };
}

const NOTHING = {
  interrupted: [],
  completed: [],
  retried: [],
  resumed: [],
  removedContainers: [],
  restoredRoutes: [],
  restartedContainers: [],
  adopted: [],
};

describe('reconcile', () => {
  it('removes the half-started container of a deploy cut off before the switch, and queues it again', async () => {
    const { fx, v1, v2, run } = await crashedDuringHealth();
    expect(v2.status).toBe('running');
    const summary = await run();
    expect(summary).toEqual({ ...NOTHING, retried: [v2.id], removedContainers: ['dw-web-dev-v2'] });
    expect(fx.containers().map((c) => c.name)).toEqual(['dw-web-dev-v1']);
    expect(fx.store.getDeploy(v2.id)).toMatchObject({ status: 'queued', attempt: 2 });
    expect(fx.store.listEvents(v2.id).at(-1)).toMatchObject({
      status: 'queued',
      message:
        'interrupted by a restart of docker-watcher during phase health; undone, queued again (attempt 2 of 2)',
    });
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(v1.id);
  });

  it('marks a deploy cut off in its second attempt interrupted, once undone', async () => {
    const { fx, v1, v2, run } = await crashedDuringHealth(2);
    const summary = await run();
    expect(summary).toEqual({ ...NOTHING, interrupted: [v2.id], removedContainers: ['dw-web-dev-v2'] });
    expect(fx.containers().map((c) => c.name)).toEqual(['dw-web-dev-v1']);
    expect(fx.store.getDeploy(v2.id)).toMatchObject({ status: 'interrupted', error: { phase: 'health' } });
    expect(fx.store.listEvents(v2.id).at(-1)).toMatchObject({ status: 'interrupted' });
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(v1.id);
  });

  it("tells the deploys' observers the status it gives (the forge learns of a crash)", async () => {
    const { fx, v2, run } = await crashedDuringHealth(2);
    const seen: [string | undefined, string][] = [];
    await run([{ onDeployEvent: (event, record) => seen.push([event.status, record.status]) }]);
    expect(seen).toEqual([['interrupted', 'interrupted']]);
    expect(fx.store.getDeploy(v2.id)?.error?.message).toBe(
      'interrupted by a restart of docker-watcher during phase health',
    );
  });

  it('leaves a deploy still queued at the crash queued, to run after the start', async () => {
    const { fx, v2, run } = await crashedDuringHealth();
    const waiting = fx.deployer.submit(fx.intent('v3'));
    expect(waiting.status).toBe('queued');
    const seen: (string | undefined)[] = [];
    const summary = await run([{ onDeployEvent: (event) => seen.push(event.status ?? event.type) }]);
    expect(summary.resumed).toEqual([waiting.id]);
    expect(summary.retried).toEqual([v2.id]);
    expect(fx.store.getDeploy(waiting.id)?.status).toBe('queued');
    expect(fx.store.listEvents(waiting.id).at(-1)?.message).toBe(
      'still queued after a restart of docker-watcher: it runs in its turn',
    );
    expect(seen).toEqual(['queued', 'log']);
  });

  it('puts the proxy back when the switch happened but persist did not', async () => {
    const { fx, v2, run } = await crashedDuringHealth();
    const snapshot = await fx.router.switchTo({
      project: 'web',
      stage: 'dev',
      domain: DOMAIN,
      containerName: 'dw-web-dev-v2',
      port: 8080,
    });
    fx.store.beginPhase(v2.id, 'switch', fx.clock.now().toISOString());
    fx.store.updateDeploy(v2.id, { routeBefore: snapshot });
    const summary = await run();
    expect(summary.restoredRoutes).toEqual([DOMAIN]);
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v1');
  });

  it('points the proxy at the live container when the crash came inside the switch', async () => {
    const { fx, v2, run } = await crashedDuringHealth();
    await fx.router.switchTo({
      project: 'web',
      stage: 'dev',
      domain: DOMAIN,
      containerName: 'dw-web-dev-v2',
      port: 8080,
    });
    fx.store.beginPhase(v2.id, 'switch', fx.clock.now().toISOString());
    await run();
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v1');
  });

  it('starts the live container again when it was stopped mid-swap', async () => {
    const { fx, v1, run } = await crashedDuringHealth();
    await fx.docker.stopContainer(v1.containerId!);
    const summary = await run();
    expect(summary.restartedContainers).toEqual(['dw-web-dev-v1']);
    expect(fx.docker.container(v1.containerId!).details.state).toBe('running');
  });

  it('leaves a deploy that already became live serving, and is idempotent', async () => {
    const { fx, v2, run } = await crashedDuringHealth();
    const container = fx.docker.container('dw-web-dev-v2').details;
    fx.store.setLive({
      project: 'web',
      stage: 'dev',
      deployId: v2.id,
      tag: 'v2',
      image: IMAGE,
      imageRef: v2.imageRef!,
      containerId: container.id,
      containerName: container.name,
      since: fx.clock.now().toISOString(),
    });
    const first = await run();
    expect(first.removedContainers).toEqual([]);
    expect(first.completed).toEqual([v2.id]);
    expect(fx.store.getDeploy(v2.id)?.status).toBe('succeeded');
    expect(fx.docker.container(container.id).details.state).toBe('running');
    const second = await run();
    expect(second).toEqual(NOTHING);
  });

  it('adopts the running container of a stage with no live record', async () => {
    const { fx, v1, v2, run } = await crashedDuringHealth();
    fx.store.clearLive('web', 'dev');
    fx.store.transitionDeploy(v2.id, 'running', 'failed');
    const summary = await run();
    expect(summary.adopted).toEqual(['web/dev']);
    expect(fx.store.getLive('web', 'dev')).toMatchObject({
      deployId: v2.id,
      tag: 'v2',
      containerName: 'dw-web-dev-v2',
    });
    expect(v1.status).toBe('succeeded');
    expect((await run()).adopted).toEqual([]);
  });
});
