import { describe, expect, it } from 'vitest';
import { createRouteKeeper } from '../../../src/deploy/route-keeper.js';
import { StageQueue } from '../../../src/deploy/stage-queue.js';
import {
  toServiceDetails,
  type RawService,
  type RawTask,
} from '../../../src/docker/swarm/service-details.js';
import { silentLogger } from '../../../src/log/logger.js';
import { baseConfig, deployerFixture, IMAGE, INSTANCE } from './deployer-fixture.js';

describe('route keeper', () => {
  async function liveFixture() {
    const stages = new StageQueue();
    const fx = deployerFixture({ deps: { stages } });
    fx.publish('v1');
    const record = await fx.deploy('v1');
    expect(record.status).toBe('succeeded');
    const keeper = createRouteKeeper({ ...fx, logger: silentLogger, instanceId: INSTANCE, stages });
    return { fx, keeper, stages, containerId: record.containerId! };
  }

  const switches = (fx: Awaited<ReturnType<typeof liveFixture>>['fx']) =>
    fx.router.calls.filter((c) => c.method === 'switchTo').length;

  it('has at most 16 stages at the engine at once in a pass over 40 live stages, and checks each', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const stages = new StageQueue();
    const fx = deployerFixture({
      deps: { stages },
      config: {
        ...baseConfig,
        projects: {
          web: {
            image: IMAGE,
            port: 8080,
            stages: Object.fromEntries(names.map((name) => [name, { tag_pattern: '*' }])),
          },
        },
      },
    });
    for (const stage of names) {
      fx.store.setLive({
        project: 'web',
        stage,
        deployId: `d-${stage}`,
        tag: 'v1',
        image: IMAGE,
        imageRef: `${IMAGE}:v1`,
        containerId: `c-${stage}`,
        containerName: `web-${stage}`,
        since: '2026-01-01T00:00:00.000Z',
      });
    }
    const inspected: string[] = [];
    let inFlight = 0;
    let most = 0;
    fx.docker.inspectContainer = async (id: string) => {
      inspected.push(id);
      most = Math.max(most, ++inFlight);
      await new Promise((done) => setTimeout(done, 1));
      inFlight--;
      return undefined;
    };
    const keeper = createRouteKeeper({ ...fx, logger: silentLogger, instanceId: INSTANCE, stages });
    await keeper.repairAll();
    expect(inspected.toSorted()).toEqual(names.map((stage) => `c-${stage}`).toSorted());
    expect(most).toBe(16);
  });

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

  it("leaves the route alone while a Swarm service's replaced task has no port yet, and re-points once it has", async () => {
    const { fx, keeper, containerId } = await liveFixture();
    await keeper.repairAll();
    const domain = 'stage-dev-web.example.test';
    const routed = fx.router.routes.get(domain)?.hostPort;
    // The live version as the Swarm runtime reads it: slot 1's task was replaced and runs, but
    // the Swarm has not reported its port yet; slot 2 still serves on its own port.
    const raw = (ports: (number | undefined)[]): RawTask[] =>
      ports.map((port, i) => ({
        ID: `t${i + 1}`,
        Slot: i + 1,
        DesiredState: 'running',
        Status: {
          State: 'running',
          ...(port === undefined
            ? {}
            : { PortStatus: { Ports: [{ PublishMode: 'host', TargetPort: 8080, PublishedPort: port }] } }),
        },
      }));
    const service: RawService = {
      ID: containerId,
      PreviousSpec: {},
      Spec: { Name: 'dw-web-dev-v1', Mode: { Replicated: { Replicas: 2 } } },
    };
    const read = (ports: (number | undefined)[]) => {
      const { state, hostPort, instances } = toServiceDetails(service, raw(ports), 8080);
      fx.docker.patchContainer(containerId, {
        state,
        ...(hostPort === undefined ? {} : { hostPort }),
        ...(instances === undefined ? {} : { instances }),
      });
    };
    read([undefined, 30002]);
    await keeper.checkAll();
    expect(fx.router.routes.get(domain)?.hostPort).toBe(routed);
    read([30011, 30002]);
    await keeper.checkAll();
    expect(fx.router.routes.get(domain)?.hostPort).toBe(30011);
    expect(fx.router.routes.get(domain)?.replicas).toEqual([{ hostPort: 30011 }, { hostPort: 30002 }]);
    // Slot 2 replaced on a new port: the route changes although the first replica's did not.
    read([30011, 30022]);
    await keeper.repairAll();
    expect(fx.router.routes.get(domain)?.replicas).toEqual([{ hostPort: 30011 }, { hostPort: 30022 }]);
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
    const { fx, stages } = await liveFixture();
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
      { ...fx, clock, logger: silentLogger, instanceId: INSTANCE, stages },
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

  it('leaves a stopped live container alone, and repairs a stage only after its running deploy', async () => {
    const { fx, keeper, containerId } = await liveFixture();
    await keeper.repairAll();
    const before = switches(fx);
    fx.docker.patchContainer(containerId, { hostPort: 40001, state: 'exited' });
    await keeper.repairAll();
    expect(switches(fx)).toBe(before);

    fx.docker.patchContainer(containerId, { state: 'running' });
    fx.publish('v2');
    let release!: () => void;
    fx.health = () => new Promise<void>((resolve) => (release = resolve));
    const v2 = fx.deployer.submit(fx.intent('v2'));
    await until(() => fx.store.getDeploy(v2.id)?.phases.some((p) => p.phase === 'health') === true);
    let repaired = false;
    const repairing = keeper.repairAll().then(() => (repaired = true));
    await new Promise((r) => setTimeout(r, 10));
    // The deploy holds the stage: the keeper neither switches nor finishes meanwhile.
    expect(repaired).toBe(false);
    expect(switches(fx)).toBe(before);
    release();
    await repairing;
    expect((await fx.deployer.waitFor(v2.id)).status).toBe('succeeded');
    // Its turn came after the deploy: it saw v2 live and left the deploy's route as it was.
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v2');
    const later = fx.router.calls.filter((c) => c.method === 'switchTo').slice(before);
    expect(later.map((c) => c.containerName)).not.toContain('dw-web-dev-v1');
  });

  it('looks at a stage again when a deploy of it ends without success', async () => {
    const { fx, keeper, containerId } = await liveFixture();
    await keeper.repairAll();
    const before = switches(fx);
    fx.docker.patchContainer(containerId, { hostPort: 40002 });
    const failed = fx.store.createDeploy({
      id: 'f1',
      kind: 'deploy',
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

  /** v1 live; a v2 deploy whose switch landed unanswered and whose undo could not restore it. */
  async function leftRunningFixture() {
    const stages = new StageQueue();
    const fx = deployerFixture({ deps: { stages } });
    fx.publish('v1');
    fx.publish('v2');
    expect((await fx.deploy('v1')).status).toBe('succeeded');
    fx.router.loseNextSwitchAnswer();
    fx.router.failNext('restore');
    const v2 = await fx.deployer.waitFor(fx.deployer.submit(fx.intent('v2')).id);
    const state = () => Object.fromEntries(fx.containers().map((c) => [c.name, c.state]));
    return { fx, stages, v2, state };
  }

  it('removes the container a failed deploy left running (its route could not be put back) once the route is back', async () => {
    const { fx, stages, v2, state } = await leftRunningFixture();
    const domain = 'stage-dev-web.example.test';
    const keeper = createRouteKeeper({ ...fx, logger: silentLogger, instanceId: INSTANCE, stages });
    expect(v2.status).toBe('failed');
    expect(v2.error?.phase).toBe('switch');
    expect(v2.routeBefore).toMatchObject({ domain });
    // The proxy routes to v2, so v2 must keep running until the route is on v1 again.
    expect(fx.router.targetOf(domain)).toBe('dw-web-dev-v2');
    await new Promise((r) => setTimeout(r, 10));
    expect(state(), 'v2 still serves what the proxy sends it').toEqual({
      'dw-web-dev-v1': 'running',
      'dw-web-dev-v2': 'running',
    });
    // The keeper hears of the failed deploy (as the deployer's observer): it routes back to v1,
    // and only then, once the proxy serves v1, does v2 go.
    const confirmedBefore = fx.router.confirmed.length;
    // The proxy still fails the first try after the deploy: the keeper tries again.
    fx.router.failNext('switchTo');
    keeper.onDeployEvent(
      {
        deployId: v2.id,
        seq: 99,
        at: new Date().toISOString(),
        type: 'status',
        level: 'error',
        status: 'failed',
        message: 'failed',
      },
      fx.store.getDeploy(v2.id)!,
    );
    await until(() => !('dw-web-dev-v2' in state()));
    expect(fx.router.targetOf(domain)).toBe('dw-web-dev-v1');
    expect(fx.router.confirmed.length).toBe(confirmedBefore + 1);
    expect(state()).toEqual({ 'dw-web-dev-v1': 'running' });
  });

  it('after a restart, its first pass removes what a failed deploy left running; checks leave containers alone', async () => {
    const { fx, stages, state } = await leftRunningFixture();
    const keeper = createRouteKeeper({ ...fx, logger: silentLogger, instanceId: INSTANCE, stages });
    await keeper.checkAll();
    expect(Object.keys(state()).sort()).toEqual(['dw-web-dev-v1', 'dw-web-dev-v2']);
    await keeper.repairAll();
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v1');
    expect(state()).toEqual({ 'dw-web-dev-v1': 'running' });
  });

  it('makes a deploy that starts during its switch wait for it, so the deploy has the last word', async () => {
    const { fx, keeper, containerId } = await liveFixture();
    fx.docker.patchContainer(containerId, { hostPort: 40003 });
    const held = fx.router.holdNextSwitch();
    const repairing = keeper.repairAll();
    await until(() => fx.router.calls.at(-1)?.containerName === 'dw-web-dev-v1');
    fx.publish('v2');
    const v2 = fx.deployer.submit(fx.intent('v2'));
    await new Promise((r) => setTimeout(r, 10));
    expect(fx.store.getDeploy(v2.id)?.status).toBe('queued');
    held.release();
    await repairing;
    expect((await fx.deployer.waitFor(v2.id)).status).toBe('succeeded');
    expect(fx.router.calls.at(-1)).toMatchObject({ method: 'switchTo', containerName: 'dw-web-dev-v2' });
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v2');
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 500) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}
