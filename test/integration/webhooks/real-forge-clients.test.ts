import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGiteaClient } from '../../../src/forge/gitea-client.js';
import { createGitHubClient } from '../../../src/forge/github-client.js';
import { silentLogger } from '../../../src/log/logger.js';
import { startFakeGitea, type FakeGitea } from '../../fakes/gitea/fake-gitea.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/fake-github.js';
import {
  giteaDelivery,
  giteaPrComment,
  githubDelivery,
  githubPrComment,
  webhookFixture,
} from './webhook-fixture.js';

let gitea: FakeGitea;
let github: FakeGitHub;
beforeAll(async () => {
  [gitea, github] = await Promise.all([startFakeGitea(), startFakeGitHub()]);
});
afterAll(async () => {
  await Promise.all([gitea?.close(), github?.close()]);
});

describe('comment commands through the real forge clients and fake forge servers', () => {
  it('Gitea: a token without repository admin rights (403 on permissions) gets a clear refusal reply', async () => {
    const client = createGiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token, logger: silentLogger });
    const fx = webhookFixture({ gitea: client });
    await fx.liveInRel('shop', 'v1');
    gitea.state.addPullRequest({ repo: 'acme/shop', number: 7, headSha: '3f2c9e1', author: 'alice' });
    gitea.state.setPermission('acme/shop', 'bob', 'write');
    gitea.tokenIsRepoAdmin(false);
    const comment = gitea.state.addComment('acme/shop', 7, '/promote prod', 'bob');

    const response = await fx.app.request(
      '/api/webhook/gitea',
      giteaDelivery('issue_comment', giteaPrComment(comment.body, 'bob', comment.id)),
    );
    expect(response.status).toBe(202);
    await fx.tasks.idle();

    expect(fx.store.listDeploys({ project: 'shop', stage: 'prod' })).toEqual([]);
    expect(gitea.state.reactions).toMatchObject([{ commentId: comment.id, content: 'eyes' }]);
    const replies = gitea.state.commentsOn('acme/shop', 7).filter((c) => c.user === gitea.state.botUser);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toMatch(/could not check @bob's permission on acme\/shop .*nothing was done/);
    expect(replies[0]?.body).toContain('admin rights on the repository');
    expect(gitea.rejections).toEqual([]);
  });

  it("GitHub: a writer's /promote prod deploys rel's digest and the reply links the deploy", async () => {
    const client = createGitHubClient({
      baseUrl: github.apiUrl,
      token: github.token,
      logger: silentLogger,
      retryBaseMs: 1,
      spaceWrites: false,
    });
    const fx = webhookFixture({ github: client });
    const rel = await fx.liveInRel('web', 'v1');
    github.state.addPullRequest({
      repo: 'Codertocat/Hello-World',
      number: 1,
      headSha: 'f'.repeat(40),
      author: 'alice',
    });
    github.state.setPermission('Codertocat/Hello-World', 'bob', 'write');
    const comment = github.state.addComment('Codertocat/Hello-World', 1, '/promote prod', 'bob');

    const delivery = githubDelivery(
      'issue_comment',
      githubPrComment(comment.body, 'bob', { commentId: comment.id }),
    );
    expect((await fx.app.request('/api/webhook/github', delivery)).status).toBe(202);
    await fx.tasks.idle();

    const [prod] = fx.store.listDeploys({ project: 'web', stage: 'prod' });
    expect(prod?.intent).toMatchObject({ trigger: 'promote', digest: rel.digest });
    expect(github.state.reactions).toMatchObject([{ commentId: comment.id, content: 'eyes' }]);
    const replies = github.state
      .commentsOn('Codertocat/Hello-World', 1)
      .filter((c) => c.user === github.state.botUser);
    expect(replies.map((c) => c.body)).toEqual([
      expect.stringContaining(`https://dw.example.test/deploys/${prod?.id}`),
    ]);
    expect(github.rejections).toEqual([]);
  });
});
