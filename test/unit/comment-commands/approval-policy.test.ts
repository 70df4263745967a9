import { describe, expect, it } from 'vitest';
import { intakeDeploy } from '../../../src/deploy/intake.js';
import { PR, commandFixture } from './command-fixture.js';

describe('approval policies, from a CI request to a comment approval', () => {
  it('parks CI requests for a stage without auto_deploy, and lets /approve by a writer run them', async () => {
    const fx = commandFixture();
    fx.publish('v1');
    const parked = intakeDeploy(fx.loaded.config, fx.deployer, {
      project: 'web',
      tag: 'v1',
      trigger: 'ci',
      source: fx.source,
    });
    expect(parked).toMatchObject({ stage: 'rel', status: 'awaiting_approval' });
    await fx.comment('bob', '/approve');
    expect((await fx.deployer.waitFor(parked.id)).status).toBe('succeeded');
  });

  it('takes for a promote_from stage only what is live there, whatever the tag says, and confirm still parks CI', async () => {
    const fx = commandFixture();
    fx.publish('v1');
    fx.publish('v2');
    const ci = (tag: string) =>
      intakeDeploy(fx.loaded.config, fx.deployer, {
        project: 'web',
        stage: 'prod',
        tag,
        trigger: 'ci',
        source: fx.source,
      });
    expect(() => ci('v1')).toThrow(/only accepts the version live in web\/rel, and nothing is live there/);
    const rel = await fx.deploy('v1', { stage: 'rel', trigger: 'manual' });
    expect(() => ci('v2')).toThrow(/only accepts the version live in web\/rel \(v1/);

    const parked = ci('v1');
    expect(parked).toMatchObject({ status: 'awaiting_approval', intent: { digest: rel.digest } });
    // The PR author may not approve (allow_self_approval: false); another writer may.
    await fx.comment('alice', '/approve');
    expect(fx.store.getDeploy(parked.id)?.status).toBe('awaiting_approval');
    await fx.comment('bob', '/approve', 501);
    const done = await fx.deployer.waitFor(parked.id);
    expect(done).toMatchObject({ status: 'succeeded', approvedBy: 'bob', imageRef: rel.imageRef });
    expect(fx.forge.replies[1]).toContain(`approved [${parked.id}]`);
    expect(done.intent.source?.pr).toBe(PR);
  });
});
