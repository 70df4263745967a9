import { describe, expect, it } from 'vitest';
import { intakeDeploy } from '../../../src/deploy/intake.js';
import { API_IMAGE, commandFixture, monorepoConfig } from './command-fixture.js';

/** web and api both deploy from acme/shop; bob writes, carol (web's approver) only reads. */
function monorepo() {
  const fx = commandFixture('github', monorepoConfig);
  fx.forge.permissions.set('carol', 'read');
  /** Makes `tag` of api live in its dev stage. */
  const apiLiveInDev = (tag: string) => {
    fx.publishApi(tag);
    return fx.deploy(tag, { project: 'api', image: API_IMAGE, stage: 'dev' });
  };
  const permissionCalls = () => fx.forge.calls.filter((call) => call.method === 'userPermission');
  return { ...fx, apiLiveInDev, permissionCalls };
}

describe('runCommentCommands: several projects of one repository', () => {
  it('promotes every project with the stage on `/promote prod`, each from its own promote_from, in one reply', async () => {
    const fx = monorepo();
    fx.publish('v1');
    await fx.deploy('v1', { stage: 'rel', trigger: 'manual' });
    const apiDev = await fx.apiLiveInDev('dev-3');

    const outcome = await fx.comment('bob', '/promote prod');
    const [web] = fx.deploysOf('prod');
    const [api] = fx.deploysOf('prod', 'api');
    expect(web?.intent).toMatchObject({ trigger: 'promote', tag: 'v1', requestedBy: 'bob' });
    expect(api?.intent).toMatchObject({ trigger: 'promote', tag: 'dev-3', digest: apiDev.digest });
    expect(outcome.results.map((result) => result.ok)).toEqual([true, true]);
    expect(fx.forge.replies).toHaveLength(1);
    expect(fx.forge.replies[0]).toContain(`- ✅ web: promoting web v1 from rel to prod: deploy [${web?.id}]`);
    expect(fx.forge.replies[0]).toContain(
      `- ✅ api: promoting api dev-3 from dev to prod: deploy [${api?.id}]`,
    );
    expect(fx.forge.calls.filter((call) => call.method === 'addReaction')).toHaveLength(1);
    expect(fx.permissionCalls()).toHaveLength(1);
  });

  it('deploys only the named project on `/deploy api/dev dev-7`', async () => {
    const fx = monorepo();
    fx.publish('dev-7');
    fx.publishApi('dev-7');
    await fx.comment('bob', '/deploy api/dev dev-7');
    expect(fx.deploysOf('dev', 'api').map((d) => d.intent)).toEqual([
      expect.objectContaining({ tag: 'dev-7', trigger: 'comment', requestedBy: 'bob' }),
    ]);
    expect(fx.deploysOf('dev')).toEqual([]);
    expect(fx.forge.replies[0]).toContain('api: deploying api dev-7 to dev');
  });

  it('refuses a project that does not deploy from the repository, and a stage no project has', async () => {
    const fx = monorepo();
    fx.publish('v1');
    await fx.comment('bob', '/deploy shop/dev dev-1\n/deploy staging v1\n/deploy rel v1');
    const reply = fx.forge.replies[0] ?? '';
    expect(reply).toContain('⛔ project shop does not deploy from acme/shop; its projects are: web, api.');
    expect(reply).toContain(
      '⛔ no project of acme/shop has a stage `staging`; their stages are web: dev, rel, prod; api: dev, prod.',
    );
    // Only web has rel, so only web gets the deploy.
    expect(reply).toContain('✅ web: deploying web v1 to rel');
    expect(reply).not.toMatch(/api: deploying/);
    expect(fx.deploysOf('dev')).toEqual([]);
    expect(fx.deploysOf('dev', 'api')).toEqual([]);
  });

  it('approves what waits for this PR in every project on `/approve`', async () => {
    const fx = monorepo();
    await fx.apiLiveInDev('dev-3');
    // CI asks for api prod (confirm parks it) and for web rel (no auto_deploy parks it).
    const apiProd = intakeDeploy(fx.loaded.config, fx.deployer, {
      project: 'api',
      stage: 'prod',
      tag: 'dev-3',
      trigger: 'ci',
      source: fx.source,
    });
    const webRel = fx.deployer.submit(fx.intent('v1', { stage: 'rel', source: fx.source }));
    expect([apiProd.status, webRel.status]).toEqual(['awaiting_approval', 'awaiting_approval']);

    await fx.comment('bob', '/approve');
    expect(fx.store.getDeploy(webRel.id)).toMatchObject({ approvedBy: 'bob' });
    expect(fx.store.getDeploy(apiProd.id)).toMatchObject({ approvedBy: 'bob' });
    expect(fx.forge.replies[0]).toContain(`web: approved [${webRel.id}]`);
    expect(fx.forge.replies[0]).toContain(`api: approved [${apiProd.id}]`);
  });

  it("does not let one project's approvers act on the other", async () => {
    const fx = monorepo();
    fx.publish('dev-1');
    fx.publishApi('dev-1');
    await fx.comment('carol', '/deploy dev dev-1');
    expect(fx.deploysOf('dev').map((d) => d.intent.requestedBy)).toEqual(['carol']);
    expect(fx.deploysOf('dev', 'api')).toEqual([]);
    expect(fx.forge.replies[0]).toMatch(
      /- ⛔ api: not allowed: @carol has read permission on acme\/shop; .*projects\.api\.approvers/,
    );
    expect(fx.permissionCalls()).toHaveLength(1);

    await fx.comment('carol', '/deploy api/dev dev-1', 501);
    expect(fx.deploysOf('dev', 'api')).toEqual([]);
    expect(fx.forge.replies[1]).toContain('api: not allowed: @carol');
  });

  it('refuses once per project when the commenter may act on none, and lists every project on /help', async () => {
    const fx = monorepo();
    fx.forge.permissions.set('rita', 'read');
    await fx.comment('rita', '/help');
    expect(fx.forge.replies[0]).toMatch(/web: not allowed: @rita.*\n.*api: not allowed: @rita/);
    expect(fx.forge.calls.some((call) => call.method === 'getPullRequest')).toBe(false);

    await fx.comment('bob', '/help', 501);
    expect(fx.forge.replies[1]).toContain('docker-watcher commands for web, api');
    expect(fx.forge.replies[1]).toContain('- web:\n  - `dev`: tags dev-*');
    expect(fx.forge.replies[1]).toContain(
      '- api:\n  - `dev`: tags dev-*\n  - `prod`: only what is live in dev',
    );
  });
});
