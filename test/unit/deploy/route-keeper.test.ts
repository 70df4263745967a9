import { describe, expect, it } from 'vitest';
import { createRouteKeeper } from '../../../src/deploy/route-keeper.js';
import { silentLogger } from '../../../src/log/logger.js';
import { deployerFixture, INSTANCE } from './deployer-fixture.js';

describe('route keeper', () => {
  async function liveFixture() {
    const fx = deployerFixture();
    fx.publish('v1');
    const record = await fx.deploy('v1');
    expect(record.status).toBe('succeeded');
    const keeper = createRouteKeeper({ ...fx, logger: silentLogger, instanceId: INSTANCE });
    return { fx, keeper, containerId: record.containerId! };
  }

  const switches = (fx: Awaited<ReturnType<typeof liveFixture>>['fx']) =>
    fx.router.calls.filter((c) => c.method === 'switchTo').length;

  it('re-applies each live route once, then only when the live container comes back on another port', async () => {
    const { fx, keeper, containerId } = await liveFixture();
    const afterDeploy = switches(fx);
    await keeper.repairAll();
    expect(switches(fx)).toBe(afterDeploy + 1);
    await keeper.repairAll();
    expect(switches(fx)).toBe(afterDeploy + 1);

    fx.docker.patchContainer(containerId, { hostPort: 45678 });
    await keeper.repairAll();
    expect(switches(fx)).toBe(afterDeploy + 2);
    expect(fx.router.routes.get('stage-dev-web.example.test')).toMatchObject({ hostPort: 45678 });
  });

  it('checkAll asks the router about every live route again, so a lost one comes back', async () => {
    const { fx, keeper } = await liveFixture();
    await keeper.repairAll();
    fx.router.routes.clear();
    await keeper.repairAll();
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBeUndefined();
    await keeper.checkAll();
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v1');
  });

  it('checks every interval while started', async () => {
    const { fx } = await liveFixture();
    let sleeps = 0;
    const clock = {
      now: () => new Date(),
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          if (ms === 777) sleeps++;
          const timer = setTimeout(resolve, ms === 777 ? 5 : ms);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
        }),
    };
    const keeper = createRouteKeeper(
      { ...fx, clock, logger: silentLogger, instanceId: INSTANCE },
      { checkIntervalMs: 777 },
    );
    keeper.start();
    await new Promise((r) => setTimeout(r, 30));
    fx.router.routes.clear();
    const cleared = sleeps;
    while (sleeps < cleared + 3) await new Promise((r) => setTimeout(r, 5));
    await keeper.stop();
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v1');
  });

  it('leaves a stage with a deploy running to that deploy, and a stopped live container alone', async () => {
    const { fx, keeper, containerId } = await liveFixture();
    await keeper.repairAll();
    const before = switches(fx);
    fx.docker.patchContainer(containerId, { hostPort: 40001, state: 'exited' });
    await keeper.repairAll();
    expect(switches(fx)).toBe(before);

    fx.docker.patchContainer(containerId, { state: 'running' });
    const running = fx.store.createDeploy({
      id: 'busy',
      intent: fx.intent('v2'),
      status: 'running',
      createdAt: new Date().toISOString(),
    });
    await keeper.repairAll();
    expect(switches(fx)).toBe(before);
    fx.store.updateDeploy(running.id, { status: 'failed' });
    await keeper.repairAll();
    expect(switches(fx)).toBe(before + 1);
  });

  it('looks at a stage again when a deploy of it ends without success', async () => {
    const { fx, keeper, containerId } = await liveFixture();
    await keeper.repairAll();
    const before = switches(fx);
    fx.docker.patchContainer(containerId, { hostPort: 40002 });
    const failed = fx.store.createDeploy({
      id: 'f1',
      intent: fx.intent('v2'),
      status: 'failed',
      createdAt: new Date().toISOString(),
    });
    keeper.onDeployEvent(
      {
        deployId: 'f1',
        seq: 1,
        at: new Date().toISOString(),
        type: 'status',
        level: 'error',
        status: 'failed',
        message: 'failed',
      },
      failed,
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(switches(fx)).toBe(before + 1);
    expect(fx.router.routes.get('stage-dev-web.example.test')).toMatchObject({ hostPort: 40002 });
  });

  it('cancels its own switch when a deploy of the stage starts, so the deploy has the last word', async () => {
    const { fx, containerId } = await liveFixture();
    const seen: string[] = [];
    const hangingRouter = {
      ...fx.router,
      switchTo: (_target: unknown, signal?: AbortSignal) =>
        new Promise<never>((_resolve, reject) => {
          seen.push('switching');
          signal?.addEventListener('abort', () => {
            seen.push('aborted');
            reject(new Error('aborted'));
          });
        }),
      restore: async () => {},
      remove: async () => false,
      confirm: async () => 'live',
    };
    const keeper = createRouteKeeper({
      ...fx,
      router: hangingRouter,
      logger: silentLogger,
      instanceId: INSTANCE,
    });
    fx.docker.patchContainer(containerId, { hostPort: 40003 });
    const repairing = keeper.repairAll();
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['switching']);
    const next = fx.store.createDeploy({
      id: 'n1',
      intent: fx.intent('v2'),
      status: 'queued',
      createdAt: new Date().toISOString(),
    });
    keeper.onDeployEvent(
      {
        deployId: 'n1',
        seq: 1,
        at: new Date().toISOString(),
        type: 'status',
        level: 'info',
        status: 'queued',
        message: 'queued',
      },
      next,
    );
    await repairing;
    expect(seen).toEqual(['switching', 'aborted']);
  });
});
