import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  giteaDelivery,
  giteaPrComment,
  githubDelivery,
  monorepoWebhookConfig,
  webhookFixture,
} from './webhook-fixture.js';

const URL_GITEA = '/api/webhook/gitea';

describe('POST /api/webhook/gitea', () => {
  it.each(['gitea', 'hub'] as const)(
    'promotes rel to prod on a PR comment signed in %s form',
    async (only) => {
      const fx = webhookFixture();
      const rel = await fx.liveInRel('shop', 'v1');
      fx.gitea.permissions.set('bob', 'admin');
      fx.gitea.pullRequests.set(7, { number: 7, headSha: '3f2c9e1', author: 'alice', state: 'open' });
      const response = await fx.app.request(
        URL_GITEA,
        giteaDelivery('issue_comment', giteaPrComment('/promote prod', 'bob'), { only }),
      );
      expect(response.status).toBe(202);
      await fx.tasks.idle();
      const [prod] = fx.store.listDeploys({ project: 'shop', stage: 'prod' });
      expect(prod?.intent).toMatchObject({ trigger: 'promote', digest: rel.digest });
      expect(prod?.intent.source).toMatchObject({
        forge: 'gitea',
        serverUrl: 'https://git.example.test',
        pr: 7,
      });
      expect(fx.gitea.calls[0]).toMatchObject({ method: 'addReaction', commentId: 9001, reaction: 'eyes' });
      expect(fx.gitea.replies).toHaveLength(1);
    },
  );

  it('runs a comment on every project of a repository that several deploy from, once', async () => {
    const fx = webhookFixture({}, monorepoWebhookConfig);
    const shopRel = await fx.liveInRel('shop', 'v1');
    const adminRel = await fx.liveInRel('shop-admin', 'v2');
    fx.publishTag('shop-admin', 'dev-5');
    fx.gitea.permissions.set('bob', 'write');
    fx.gitea.pullRequests.set(7, { number: 7, headSha: '3f2c9e1', author: 'alice', state: 'open' });
    const delivery = giteaDelivery(
      'issue_comment',
      giteaPrComment('/promote prod\n/deploy shop-admin/dev dev-5', 'bob'),
    );

    const response = await fx.app.request(URL_GITEA, delivery);
    expect(response.status).toBe(202);
    const answer = (await response.json()) as Record<string, unknown>;
    expect(answer).toEqual({
      accepted: 'commands',
      projects: ['shop', 'shop-admin'],
      commands: ['promote', 'deploy'],
    });
    await fx.tasks.idle();

    const [shopProd] = fx.store.listDeploys({ project: 'shop', stage: 'prod' });
    const [adminProd] = fx.store.listDeploys({ project: 'shop-admin', stage: 'prod' });
    expect(shopProd?.intent).toMatchObject({ trigger: 'promote', digest: shopRel.digest });
    expect(adminProd?.intent).toMatchObject({ trigger: 'promote', digest: adminRel.digest });
    expect(fx.store.listDeploys({ project: 'shop-admin', stage: 'dev' })).toHaveLength(1);
    expect(fx.store.listDeploys({ project: 'shop', stage: 'dev' })).toEqual([]);
    expect(fx.gitea.replies).toHaveLength(1);
    expect(fx.gitea.replies[0]).toContain('✅ shop: promoting shop v1 from rel to prod');
    expect(fx.gitea.replies[0]).toContain('✅ shop-admin: promoting shop-admin v2 from rel to prod');
    expect(fx.gitea.replies[0]).toContain('✅ shop-admin: deploying shop-admin dev-5 to dev');
    const methods = fx.gitea.calls.map((call) => call.method);
    expect(methods.filter((method) => method === 'addReaction')).toHaveLength(1);
    expect(methods.filter((method) => method === 'userPermission')).toHaveLength(1);

    // The comment is remembered once, not per project: a redelivery does nothing.
    const again = await fx.app.request(URL_GITEA, giteaDelivery('issue_comment', JSON.parse(delivery.body)));
    expect(await again.json()).toEqual({ ignored: 'duplicate' });
  });

  it("refuses wrong signatures, and GitHub's secret on the Gitea endpoint", async () => {
    const fx = webhookFixture();
    const payload = giteaPrComment('/promote prod', 'bob');
    expect(
      (await fx.app.request(URL_GITEA, giteaDelivery('issue_comment', payload, { secret: 'nope' }))).status,
    ).toBe(401);
    const githubSigned = githubDelivery('issue_comment', payload);
    expect((await fx.app.request(URL_GITEA, githubSigned)).status).toBe(401);
    await fx.tasks.idle();
    expect(fx.gitea.calls).toEqual([]);
  });

  it("answers with a clear refusal when Gitea will not give the commenter's permission (403)", async () => {
    const fx = webhookFixture();
    await fx.liveInRel('shop', 'v1');
    // No permission entry: the fake answers as Gitea does to a token without admin rights.
    await fx.app.request(URL_GITEA, giteaDelivery('issue_comment', giteaPrComment('/promote prod', 'bob')));
    await fx.tasks.idle();
    expect(fx.store.listDeploys({ project: 'shop', stage: 'prod' })).toEqual([]);
    expect(fx.gitea.replies).toEqual([
      expect.stringMatching(
        /could not check @bob's permission on acme\/shop .*403.*admin rights on the repository/,
      ),
    ]);
  });

  it('hands a container package push on with the forge host, owner and tag', async () => {
    const fx = webhookFixture();
    const pkg = JSON.parse(
      readFileSync(new URL('../../fixtures/webhooks/gitea-package.json', import.meta.url), 'utf8'),
    ) as {
      package: { version: string };
    };
    expect((await fx.app.request(URL_GITEA, giteaDelivery('package', pkg))).status).toBe(202);
    pkg.package.version = `sha256:${'c'.repeat(64)}`;
    expect((await fx.app.request(URL_GITEA, giteaDelivery('package', pkg))).status).toBe(202);
    expect(fx.pushes).toEqual([
      { forge: 'gitea', image: 'git.example.test/acme/shop', tag: 'v1.4.0' },
      { forge: 'gitea', image: 'git.example.test/acme/shop' },
    ]);
  });
});
