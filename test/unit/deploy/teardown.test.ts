import { describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import { LABEL_INSTANCE, LABEL_PROJECT, LABEL_STAGE } from '../../../src/docker/engine.js';
import { baseConfig, deployerFixture, IMAGE, INSTANCE } from './deployer-fixture.js';

const DOMAIN = 'stage-dev-web.example.test';

function fixtureWithTwoVersions() {
  const fx = deployerFixture();
  for (const tag of ['v1', 'v2', 'v3']) fx.publish(tag);
  return fx;
}

describe('teardown of a stage', () => {
  it('removes every container of the stage (kept ones too), its route and its live version', async () => {
    const fx = fixtureWithTwoVersions();
    await fx.deploy('v1');
    await fx.deploy('v2');
    fx.docker.addContainer({ ...fx.docker.specOf('dw-web-dev-v2'), name: 'someone-elses', labels: {} });
    expect(
      fx
        .containers()
        .map((c) => c.state)
        .sort(),
    ).toEqual(['exited', 'running']);
    expect(fx.router.targetOf(DOMAIN)).toBe('dw-web-dev-v2');

    const queued = fx.deployer.teardown('web', 'dev', 'api-token');
    expect(queued).toMatchObject({
      status: 'queued',
      intent: { trigger: 'teardown', tag: 'v2', requestedBy: 'api-token' },
    });
    const done = await fx.deployer.waitFor(queued.id);

    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(fx.containers()).toEqual([]);
    expect(fx.docker.allContainers().map((c) => c.name)).toEqual(['someone-elses']);
    expect(fx.router.routes.has(DOMAIN)).toBe(false);
    expect(fx.store.getLive('web', 'dev')).toBeUndefined();
    const messages = fx.store.listEvents(done.id).map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining(['removed container dw-web-dev-v1', 'removed container dw-web-dev-v2']),
    );
  });

  it('waits in the stage queue for a running deploy instead of racing it', async () => {
    const fx = fixtureWithTwoVersions();
    let release!: () => void;
    fx.health = () => new Promise<void>((resolve) => (release = resolve));
    const deploy = fx.deployer.submit(fx.intent('v1'));
    await new Promise((resolve) => setImmediate(resolve));
    const teardown = fx.deployer.teardown('web', 'dev');
    await new Promise((resolve) => setImmediate(resolve));
    expect(fx.store.getDeploy(teardown.id)?.status).toBe('queued');
    expect(fx.containers()).toHaveLength(1);

    release();
    expect((await fx.deployer.waitFor(deploy.id)).status).toBe('succeeded');
    expect((await fx.deployer.waitFor(teardown.id)).status).toBe('succeeded');
    expect(fx.containers()).toEqual([]);
    expect(fx.store.getLive('web', 'dev')).toBeUndefined();
  });

  it('tears down a stage the config no longer has, by its name', async () => {
    const fx = deployerFixture();
    const labels = { [LABEL_PROJECT]: 'web', [LABEL_STAGE]: 'gone', [LABEL_INSTANCE]: INSTANCE };
    const spec = {
      name: 'dw-web-gone-v1',
      image: `${IMAGE}:v1`,
      labels,
      env: [],
      volumes: [],
      network: 'n',
      port: 8080,
      publishHost: '127.0.0.1',
      restartPolicy: 'no' as const,
    };
    fx.docker.addContainer(spec, { state: 'running' });
    fx.docker.addContainer({
      ...spec,
      name: 'dw-web-gone-other',
      labels: { ...labels, [LABEL_INSTANCE]: 'other' },
    });

    const done = await fx.deployer.waitFor(fx.deployer.teardown('web', 'gone').id);
    expect(done.status).toBe('succeeded');
    expect(fx.docker.allContainers().map((c) => c.name)).toEqual(['dw-web-gone-other']);
  });

  it('fails clearly when the engine refuses, and a second teardown finishes the job', async () => {
    const fx = fixtureWithTwoVersions();
    await fx.deploy('v1');
    fx.docker.failNext(
      'removeContainer',
      new ExternalError('docker', 'remove container dw-web-dev-v1: busy'),
    );
    const failed = await fx.deployer.waitFor(fx.deployer.teardown('web', 'dev').id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({
      phase: 'teardown',
      message: expect.stringMatching(/busy; send the teardown again/),
    });
    const retried = await fx.deployer.waitFor(fx.deployer.teardown('web', 'dev').id);
    expect(retried.status).toBe('succeeded');
    expect(fx.containers()).toEqual([]);
  });

  it('is never a rollback target', async () => {
    const fx = fixtureWithTwoVersions();
    await fx.deploy('v1');
    await fx.deployer.waitFor(fx.deployer.teardown('web', 'dev').id);
    await fx.deploy('v2');
    const rollback = await fx.deployer.waitFor(fx.deployer.rollback('web', 'dev').id);
    expect(rollback.status, JSON.stringify(rollback.error)).toBe('succeeded');
    expect(rollback.intent.tag).toBe('v1');
  });

  it('is refused while shutting down', async () => {
    const fx = deployerFixture({ config: baseConfig });
    await fx.deployer.shutdown(1000);
    expect(() => fx.deployer.teardown('web', 'dev')).toThrow(/shutting down/);
  });
});
