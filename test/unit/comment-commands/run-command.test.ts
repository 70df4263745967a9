import { describe, expect, it } from 'vitest';
import { AUTHOR, PR, commandFixture } from './command-fixture.js';

describe('runCommentCommands: promotion and permissions', () => {
  it('promotes what is live in rel to prod for a writer, with eyes first and one reply linking the deploy', async () => {
    const fx = commandFixture();
    fx.publish('v1');
    const rel = await fx.deploy('v1', { stage: 'rel', trigger: 'manual' });
    expect(rel.status).toBe('succeeded');

    const outcome = await fx.comment('bob', 'Looks good.\n/promote prod');
    expect(fx.forge.calls[0]).toMatchObject({ method: 'addReaction', commentId: 500, reaction: 'eyes' });
    expect(fx.forge.replies).toHaveLength(1);
    const [promoted] = fx.deploysOf('prod');
    expect(promoted?.intent).toMatchObject({
      trigger: 'promote',
      tag: 'v1',
      digest: rel.digest,
      requestedBy: 'bob',
    });
    expect(promoted?.intent.source).toMatchObject({ pr: PR, sha: 'abc123', repository: 'acme/web' });
    expect(fx.forge.replies[0]).toContain(`https://dw.example.test/deploys/${promoted?.id}`);
    expect(outcome.results.map((r) => r.ok)).toEqual([true]);
    const done = await fx.deployer.waitFor(promoted!.id);
    expect(done.status).toBe('succeeded');
    expect(fx.store.getLive('web', 'prod')?.digest).toBe(rel.digest);
  });

  it('refuses a reader with a reply and deploys nothing', async () => {
    const fx = commandFixture();
    fx.publish('v1');
    await fx.deploy('v1', { stage: 'rel', trigger: 'manual' });
    await fx.comment('rita', '/promote prod');
    expect(fx.deploysOf('prod')).toEqual([]);
    expect(fx.forge.replies).toHaveLength(1);
    expect(fx.forge.replies[0]).toMatch(
      /not allowed: @rita has read permission on acme\/web.*write or admin/,
    );
  });

  it('refuses clearly when the forge will not tell the permission (Gitea 403), naming the admin-token need', async () => {
    const fx = commandFixture('gitea');
    await fx.comment('stranger', '/deploy dev dev-1');
    expect(fx.deploysOf('dev')).toEqual([]);
    expect(fx.forge.replies[0]).toMatch(/could not check @stranger's permission.*403.*nothing was done/);
    expect(fx.forge.replies[0]).toContain('admin rights on the repository');
    // The hint once: the adapter's error says it, the reply does not repeat it.
    expect(fx.forge.replies[0]?.match(/admin rights/g)).toHaveLength(1);
  });

  it('hands the reply to postReply (the durable outbox) when given, not to the client', async () => {
    const fx = commandFixture();
    const posted: [number, number, string][] = [];
    const outcome = await fx.comment('rita', '/promote prod', 31, (event, body) =>
      posted.push([event.pr, event.commentId, body]),
    );
    expect(posted).toEqual([[7, 31, outcome.reply]]);
    expect(outcome.reply).toMatch(/^@rita\n- ⛔ not allowed/);
    expect(fx.forge.replies).toEqual([]);
  });

  it('says a user without any permission has no access', async () => {
    const fx = commandFixture();
    fx.forge.permissions.set('carl', 'none');
    await fx.comment('carl', '/deploy dev dev-1');
    expect(fx.forge.replies[0]).toMatch(/not allowed: @carl has no access to acme\/web; commands need write/);
    expect(fx.forge.replies[0]).not.toContain('none permission');
  });

  it('lets a listed approver through without asking the forge, whatever the case of the login', async () => {
    const fx = commandFixture();
    fx.publish('dev-1');
    await fx.comment('carol', '/deploy dev dev-1');
    expect(fx.forge.calls.some((call) => call.method === 'userPermission')).toBe(false);
    expect(fx.deploysOf('dev').map((d) => d.intent.trigger)).toEqual(['comment']);
  });
});

describe('runCommentCommands: refusals', () => {
  it('says there is nothing live in rel to promote', async () => {
    const fx = commandFixture();
    await fx.comment('bob', '/promote prod');
    expect(fx.forge.replies[0]).toContain('nothing is live in rel to promote to prod');
    expect(fx.deploysOf('prod')).toEqual([]);
  });

  it('lists the stages for an unknown stage and refuses /promote into a stage without promote_from', async () => {
    const fx = commandFixture();
    await fx.comment('bob', '/deploy staging v1\n/promote rel');
    expect(fx.forge.replies).toHaveLength(1);
    expect(fx.forge.replies[0]).toContain('no stage `staging`; its stages are: dev, rel, prod');
    expect(fx.forge.replies[0]).toContain('stage rel has no promote_from');
  });

  it("passes on the deployer's refusal of a tag that is not what is live in the source stage", async () => {
    const fx = commandFixture();
    await fx.comment('bob', '/deploy prod v9');
    expect(fx.forge.replies[0]).toMatch(/only accepts the version live in web\/rel/);
    expect(fx.deploysOf('prod')).toEqual([]);
  });

  it('refuses while the stage is busy', async () => {
    const fx = commandFixture();
    fx.publish('dev-1');
    fx.health = () => new Promise(() => {});
    const running = fx.deployer.submit(fx.intent('dev-1'));
    await fx.comment('bob', '/deploy dev dev-1');
    expect(fx.forge.replies[0]).toContain(`stage dev is busy: deploy [${running.id}]`);
    expect(fx.deploysOf('dev')).toHaveLength(1);
  });

  it('keeps the PR author from approving and promoting when self-approval is off', async () => {
    const fx = commandFixture();
    fx.publish('v1');
    await fx.deploy('v1', { stage: 'rel', trigger: 'manual' });
    await fx.comment(AUTHOR, '/approve\n/promote prod\n/deploy prod v1');
    const reply = fx.forge.replies[0] ?? '';
    expect(reply.match(/does not allow self-approval/g)).toHaveLength(3);
    expect(fx.deploysOf('prod')).toEqual([]);
  });
});

describe('runCommentCommands: actions', () => {
  it('approves only the deploys of this PR that await approval', async () => {
    const fx = commandFixture();
    const mine = fx.deployer.submit(fx.intent('v1', { stage: 'rel', source: fx.source }));
    const other = fx.deployer.submit(fx.intent('v2', { stage: 'rel', source: { ...fx.source, pr: 8 } }));
    expect(mine.status).toBe('awaiting_approval');
    await fx.comment('bob', '/approve');
    expect(fx.store.getDeploy(mine.id)).toMatchObject({ approvedBy: 'bob' });
    expect(fx.store.getDeploy(other.id)?.status).toBe('awaiting_approval');
    expect(fx.forge.replies[0]).toContain(`approved [${mine.id}]`);

    await fx.comment('bob', '/approve', 501);
    expect(fx.forge.replies[1]).toContain('nothing of this PR awaits approval');
  });

  it("deploys the PR's last deployed tag when /deploy names none", async () => {
    const fx = commandFixture();
    await fx.comment('bob', '/deploy dev');
    expect(fx.forge.replies[0]).toContain('this PR has no deploy of web yet');
    fx.publish('dev-7');
    const ci = await fx.deploy('dev-7', { source: fx.source });
    await fx.comment('bob', '/deploy dev', 501);
    const [latest] = fx.deploysOf('dev');
    expect(latest?.intent).toMatchObject({ tag: 'dev-7', digest: ci.digest, trigger: 'comment' });
  });

  it('rolls a stage back to its previous version', async () => {
    const fx = commandFixture();
    fx.publish('dev-1');
    fx.publish('dev-2');
    await fx.deploy('dev-1');
    await fx.deploy('dev-2');
    await fx.comment('bob', '/rollback dev');
    const [rollback] = fx.deploysOf('dev');
    expect(rollback?.intent).toMatchObject({ trigger: 'rollback', tag: 'dev-1', requestedBy: 'bob' });
    expect(fx.forge.replies[0]).toContain('rolling dev back to dev-1');
  });

  it('answers /help with the commands and the stages', async () => {
    const fx = commandFixture();
    await fx.comment('bob', '/help');
    expect(fx.forge.replies[0]).toContain('/deploy [project/]<stage> [tag]');
    expect(fx.forge.replies[0]).toContain('`prod`: only what is live in rel (/promote prod), needs approval');
  });

  it('reports a closed PR instead of acting', async () => {
    const fx = commandFixture();
    fx.forge.pullRequests.set(PR, { number: PR, headSha: 'abc123', author: AUTHOR, state: 'closed' });
    await fx.comment('bob', '/deploy dev dev-1');
    expect(fx.deploysOf('dev')).toEqual([]);
    expect(fx.forge.replies[0]).toContain('is closed');
  });
});
