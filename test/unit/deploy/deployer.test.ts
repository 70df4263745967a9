import { describe, expect, it } from 'vitest';
import { PHASES, type Phase } from '../../../src/core/deploy-types.js';
import { DeployError, ExternalError } from '../../../src/core/errors.js';
import type { Store } from '../../../src/store/store.js';
import { baseConfig, deployerFixture, IMAGE } from './deployer-fixture.js';
import { StageQueue } from '../../../src/deploy/stage-queue.js';

const DOMAIN = 'stage-dev-web.example.test';

describe('deployer: blue-green swap', () => {
  it('runs the phases in order and makes the first version live', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    const submitted = fx.deployer.submit(fx.intent('v1'));
    expect(submitted.status).toBe('queued');
    const live: string[] = [];
    fx.deployer.subscribe(submitted.id, (e) => live.push(e.message));
    const record = await fx.deployer.waitFor(submitted.id);

    expect(record.status).toBe('succeeded');
    expect(record.phases.map((p) => [p.phase, p.ok])).toEqual(PHASES.map((p) => [p, true]));
    expect(record.imageRef).toMatch(new RegExp(`^${IMAGE}@sha256:`));
    expect(record.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const container = fx.docker.container('dw-web-dev-v1').details;
    expect(container.state).toBe('running');
    expect(container.labels).toMatchObject({
      'docker-watcher.deploy-id': record.id,
      'docker-watcher.instance-id': 'unit-instance',
    });
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v1');
    expect(fx.store.getLive('web', 'dev')).toMatchObject({
      deployId: record.id,
      containerId: container.id,
      tag: 'v1',
    });

    const events = fx.store.listEvents(record.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'phase').map((e) => e.phase)).toEqual([...PHASES]);
    expect(events.at(-1)).toMatchObject({ type: 'status', status: 'succeeded' });
    expect(live).toContain(events.at(-1)!.message);
  });

  it('swaps to a second version: old stopped and kept, after drain, never before the switch', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    fx.publish('v2');
    const first = await fx.deploy('v1');
    const oldId = fx.docker.container('dw-web-dev-v1').details.id;
    let oldRunningAtSwitch = false;
    const switchTo = fx.router.switchTo.bind(fx.router);
    fx.router.switchTo = async (target) => {
      oldRunningAtSwitch = fx.docker.container(oldId).details.state === 'running';
      return switchTo(target);
    };
    const second = await fx.deploy('v2');

    expect(second.status).toBe('succeeded');
    expect(second.previousContainerId).toBe(oldId);
    expect(oldRunningAtSwitch).toBe(true);
    expect(fx.docker.container(oldId).details.state).toBe('exited');
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v2');
    expect(fx.clock.slept).toContain(2000);
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(second.id);
    expect(first.status).toBe('succeeded');
  });

  it('drains through a router that counts in-flight requests, instead of sleeping drain_seconds', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    fx.publish('v2');
    await fx.deploy('v1');
    const drained: string[] = [];
    let oldRunningAtDrain = false;
    fx.router.drain = async (containerName) => {
      drained.push(containerName);
      oldRunningAtDrain = fx.docker.container('dw-web-dev-v1').details.state === 'running';
      return `drain: nothing in flight on ${containerName}`;
    };
    const second = await fx.deploy('v2');
    expect(second.status).toBe('succeeded');
    expect(drained).toEqual(['dw-web-dev-v1']);
    expect(oldRunningAtDrain).toBe(true);
    expect(fx.clock.slept).not.toContain(2000);
    expect(fx.docker.container('dw-web-dev-v1').details.state).toBe('exited');
  });

  it('removes stopped versions beyond keep_versions', async () => {
    const fx = deployerFixture();
    for (const tag of ['v1', 'v2', 'v3']) {
      fx.publish(tag);
      expect((await fx.deploy(tag)).status).toBe('succeeded');
    }
    const byName = Object.fromEntries(fx.containers().map((c) => [c.name, c.state]));
    expect(byName).toEqual({ 'dw-web-dev-v2': 'exited', 'dw-web-dev-v3': 'running' });
  });

  it('redeploys the same tag next to the running container under a suffixed name', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    await fx.deploy('v1');
    const again = await fx.deploy('v1', { trigger: 'manual' });
    expect(again.status).toBe('succeeded');
    expect(again.containerName).toBe('dw-web-dev-v1-d0002');
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v1-d0002');
  });

  it('removes a container that a failed create left behind', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    const create = fx.docker.createContainer.bind(fx.docker);
    fx.docker.createContainer = async (spec) => {
      await create(spec);
      throw new Error('socket hang up');
    };
    const record = await fx.deploy('v1');
    expect(record.error).toMatchObject({ phase: 'create', message: 'socket hang up' });
    expect(fx.containers()).toEqual([]);
  });

  it('keeps the new container log lines of a failed health check', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    fx.docker.onStart = (c, engine) => engine.appendLogs(c.details.id, 'booting', 'listening on 9999');
    fx.health = async () => {
      throw new DeployError('health', 'GET /health answered 500 until the deadline of 120s');
    };
    const record = await fx.deploy('v1');
    expect(record.error).toEqual({
      phase: 'health',
      message: 'GET /health answered 500 until the deadline of 120s',
      containerLogs: ['booting', 'listening on 9999'],
    });
    expect(fx.containers()).toEqual([]);
    expect(fx.store.getLive('web', 'dev')).toBeUndefined();
  });
});

describe('deployer: pulls', () => {
  const withProject = (extra: Record<string, unknown>) => ({
    ...baseConfig,
    registries: { reg: { url: 'https://registry.test', username: 'ci', token_env: 'REG_TOKEN' } },
    projects: { web: { ...baseConfig.projects!.web!, ...extra } },
  });

  it('pulls with the registry credentials and never re-pulls a present digest', async () => {
    const fx = deployerFixture({
      config: withProject({ registry: 'reg' }),
      secrets: { REG_TOKEN: 's3cret' },
    });
    fx.publish('v1');
    const first = await fx.deploy('v1');
    expect(fx.docker.pulls).toEqual([
      {
        ref: `${IMAGE}:v1`,
        credentials: { username: 'ci', password: 's3cret', serverAddress: 'registry.test' },
      },
    ]);
    expect(
      fx.store
        .listEvents(first.id)
        .map((e) => e.message)
        .join('\n'),
    ).not.toContain('s3cret');
    const byDigest = await fx.deploy('v1', { digest: first.digest!, trigger: 'manual' });
    expect(byDigest.status).toBe('succeeded');
    expect(fx.docker.pulls).toHaveLength(1);
  });

  it('with pull_policy never, fails in resolve when the image is missing', async () => {
    const fx = deployerFixture({ config: withProject({ pull_policy: 'never' }) });
    const record = await fx.deploy('v1');
    expect(record.error?.phase).toBe('resolve');
    expect(record.error?.message).toMatch(/registry.test\/web:v1 is not present.*pull_policy never/);
    expect(fx.docker.pulls).toEqual([]);
  });

  it('with pull_policy if-missing, runs a present tag without pulling', async () => {
    const fx = deployerFixture({ config: withProject({ pull_policy: 'if-missing' }) });
    fx.docker.addImage(`${IMAGE}:v1`);
    expect((await fx.deploy('v1')).status).toBe('succeeded');
    expect(fx.docker.pulls).toEqual([]);
  });
});

/** Each way to fail in one phase of the second deploy (v1 live, v2 being deployed). */
const failures: Record<
  Exclude<Phase, 'rollback' | 'teardown'>,
  (fx: ReturnType<typeof deployerFixture>, store: FailingStore) => void
> = {
  resolve: (fx) => fx.docker.failNext('inspectImage', new ExternalError('docker', 'engine unreachable')),
  pull: (fx) =>
    fx.docker.setPullResult(`${IMAGE}:v2`, new ExternalError('docker', `pull ${IMAGE}:v2: manifest unknown`)),
  create: (fx) => fx.docker.failNext('createContainer'),
  start: (fx) => fx.docker.failNext('startContainer'),
  health: (fx) => {
    fx.health = async () => {
      throw new DeployError('health', 'never healthy');
    };
  },
  switch: (fx) => fx.router.failNext('switchTo'),
  persist: (_fx, store) => {
    store.failSetLive = true;
  },
  drain: (fx) => fx.clock.failNextSleep(new Error('sleep broke')),
  stop_old: (fx) => fx.docker.failNext('stopContainer'),
};

interface FailingStore {
  failSetLive: boolean;
}

describe('deployer: a failure in any phase leaves the old version serving', () => {
  for (const [phase, inject] of Object.entries(failures)) {
    it(`fails in ${phase}`, async () => {
      const control: FailingStore = { failSetLive: false };
      const fx = deployerFixture({
        deps: {
          store: new Proxy({} as Store, {
            get: (_t, key: keyof Store) => {
              if (key === 'setLive' && control.failSetLive) {
                return () => {
                  control.failSetLive = false;
                  throw new Error('disk full');
                };
              }
              const value: unknown = Reflect.get(fx.store, key);
              return typeof value === 'function' ? (value as () => unknown).bind(fx.store) : value;
            },
          }),
        },
      });
      fx.publish('v1');
      if (phase !== 'pull') fx.publish('v2');
      await fx.deploy('v1');
      const old = fx.docker.container('dw-web-dev-v1').details;
      inject(fx, control);

      const record = await fx.deploy('v2');

      expect(record.status).toBe('failed');
      expect(record.error?.phase).toBe(phase);
      expect(record.error?.message).toBeTruthy();
      expect(record.phases.find((p) => p.phase === phase)?.ok).toBe(false);
      expect(record.phases.at(-1)).toMatchObject({ phase: 'rollback', ok: true });
      expect(fx.containers().map((c) => [c.name, c.state])).toEqual([['dw-web-dev-v1', 'running']]);
      expect(fx.docker.container(old.id).details.id).toBe(old.id);
      expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v1');
      expect(fx.store.getLive('web', 'dev')?.containerId).toBe(old.id);
      expect(fx.store.listEvents(record.id).at(-1)).toMatchObject({ status: 'failed', phase });
    });
  }

  it('fails in switch when the proxy never serves the new container, and puts the old target back', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    fx.publish('v2');
    await fx.deploy('v1');
    fx.router.failNext('confirm', new Error('the proxy did not serve dw-web-dev-v2 within 15 s'));

    const record = await fx.deploy('v2');

    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({
      phase: 'switch',
      message: expect.stringContaining('did not serve'),
    });
    expect(fx.router.calls.at(-1)).toMatchObject({ method: 'restore', domain: DOMAIN });
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v1');
    expect(fx.containers().map((c) => [c.name, c.state])).toEqual([['dw-web-dev-v1', 'running']]);
    expect(fx.store.getLive('web', 'dev')?.tag).toBe('v1');
  });

  it('logs what the proxy confirmed as part of the switch', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    const record = await fx.deploy('v1');
    expect(fx.router.confirmed).toEqual([DOMAIN]);
    const messages = fx.store.listEvents(record.id).map((e) => e.message);
    const at = messages.indexOf('fake proxy serves dw-web-dev-v1');
    expect(at).toBeGreaterThan(messages.indexOf('switch started'));
    expect(at).toBeLessThan(messages.indexOf('persist started'));
  });

  it('keeps deploys queued until start-up reconcile is done', async () => {
    let finishReconcile!: () => void;
    const ready = new Promise<void>((resolve) => (finishReconcile = resolve));
    // What Deployer.recover does with its reconcile: the stages' queues are held until it is done.
    const stages = new StageQueue();
    stages.holdUntil(ready);
    const fx = deployerFixture({ deps: { stages } });
    fx.publish('v1');
    const record = fx.deployer.submit(fx.intent('v1'));
    await new Promise((r) => setTimeout(r, 20));
    expect(fx.store.getDeploy(record.id)?.status).toBe('queued');
    expect(fx.containers()).toEqual([]);
    finishReconcile();
    expect((await fx.deployer.waitFor(record.id)).status).toBe('succeeded');
  });
});
