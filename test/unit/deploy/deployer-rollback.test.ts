import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/core/errors.js';
import { deployerFixture } from './deployer-fixture.js';

async function twoVersions() {
  const fx = deployerFixture();
  fx.publish('v1');
  fx.publish('v2');
  const v1 = await fx.deploy('v1');
  const v2 = await fx.deploy('v2');
  return { fx, v1, v2 };
}

describe('deployer: rollback', () => {
  it('restarts the kept container of the previous version: no pull, no new container', async () => {
    const { fx, v1, v2 } = await twoVersions();
    const callsBefore = fx.docker.calls.length;
    const submitted = fx.deployer.rollback('web', 'dev', 'alexei');
    expect(submitted.intent).toMatchObject({
      trigger: 'rollback',
      rollbackOf: v1.id,
      tag: 'v1',
      requestedBy: 'alexei',
    });
    const record = await fx.deployer.waitFor(submitted.id);

    expect(record.status).toBe('succeeded');
    const calls = fx.docker.calls.slice(callsBefore).map((c) => c.method);
    expect(calls).not.toContain('pullImage');
    expect(calls).not.toContain('createContainer');
    expect(record.containerId).toBe(v1.containerId);
    expect(fx.docker.container(v1.containerId!).details.state).toBe('running');
    expect(fx.docker.container(v2.containerId!).details.state).toBe('exited');
    expect(fx.store.getLive('web', 'dev')).toMatchObject({
      deployId: record.id,
      tag: 'v1',
      containerId: v1.containerId,
    });
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v1');
  });

  it('pulls the digest and creates a container when the kept one is gone', async () => {
    const { fx, v1 } = await twoVersions();
    await fx.docker.removeContainer(v1.containerId!);
    const record = await fx.deployer.waitFor(fx.deployer.rollback('web', 'dev').id);
    expect(record.status).toBe('succeeded');
    expect(record.imageRef).toBe(v1.imageRef);
    expect(record.containerId).not.toBe(v1.containerId);
    expect(fx.docker.container(record.containerId!).details.state).toBe('running');
  });

  it('stops the kept container again when the rollback fails its health check', async () => {
    const { fx, v1, v2 } = await twoVersions();
    fx.health = async () => {
      throw new Error('still broken');
    };
    const record = await fx.deployer.waitFor(fx.deployer.rollback('web', 'dev').id);
    expect(record).toMatchObject({ status: 'failed', error: { phase: 'health' } });
    expect(fx.docker.container(v1.containerId!).details.state).toBe('exited');
    expect(fx.store.getLive('web', 'dev')?.containerId).toBe(v2.containerId);
  });

  it('says clearly when there is nothing to roll back to', async () => {
    const fx = deployerFixture();
    expect(() => fx.deployer.rollback('web', 'dev')).toThrow(/no version is live/);
    fx.publish('v1');
    await fx.deploy('v1');
    expect(() => fx.deployer.rollback('web', 'dev')).toThrow(ConflictError);
    expect(() => fx.deployer.rollback('web', 'dev')).toThrow(/nothing to roll back to on web\/dev/);
  });
});
