import { describe, expect, it } from 'vitest';
import { githubDelivery, githubPrComment, webhookFixture } from './webhook-fixture.js';

const URL_GITHUB = '/api/webhook/github';

describe('POST /api/webhook/github: comment commands', () => {
  it('deploys the digest live in rel to prod on `/promote prod` by a writer', async () => {
    const fx = webhookFixture();
    const rel = await fx.liveInRel('web', 'v1');
    fx.github.permissions.set('bob', 'write');
    fx.github.pullRequests.set(1, { number: 1, headSha: 'feed01', author: 'alice', state: 'open' });

    const response = await fx.app.request(
      URL_GITHUB,
      githubDelivery('issue_comment', githubPrComment('Ship it\n/promote prod', 'bob')),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      accepted: 'commands',
      project: 'web',
      commands: ['promote'],
    });
    await fx.tasks.idle();

    const [prod] = fx.store.listDeploys({ project: 'web', stage: 'prod' });
    expect(prod?.intent).toMatchObject({
      trigger: 'promote',
      tag: 'v1',
      digest: rel.digest,
      requestedBy: 'bob',
    });
    expect(prod?.intent.source).toMatchObject({
      forge: 'github',
      pr: 1,
      sha: 'feed01',
      serverUrl: 'https://github.com',
    });
    expect(fx.github.calls[0]).toMatchObject({
      method: 'addReaction',
      reaction: 'eyes',
      repo: { owner: 'Codertocat', repo: 'Hello-World' },
    });
    expect(fx.github.replies).toEqual([
      expect.stringContaining(`https://dw.example.test/deploys/${prod?.id}`),
    ]);
    expect((await fx.deployer.waitFor(prod!.id)).status).toBe('succeeded');
    expect(fx.store.getLive('web', 'prod')?.digest).toBe(rel.digest);
  });

  it('refuses a reader with a reply and deploys nothing', async () => {
    const fx = webhookFixture();
    await fx.liveInRel('web', 'v1');
    fx.github.permissions.set('rita', 'read');
    await fx.app.request(
      URL_GITHUB,
      githubDelivery('issue_comment', githubPrComment('/promote prod', 'rita')),
    );
    await fx.tasks.idle();
    expect(fx.store.listDeploys({ project: 'web', stage: 'prod' })).toEqual([]);
    expect(fx.github.replies).toEqual([expect.stringMatching(/not allowed: @rita has read permission/)]);
  });

  it('ignores commands in quotes and code blocks, from bots, on plain issues and in edits', async () => {
    const fx = webhookFixture();
    fx.github.permissions.set('bob', 'write');
    const quoted = '> /promote prod\n```\n/promote prod\n```\n    /promote prod\nuse `/promote prod`';
    const ignored = async (payload: unknown) => {
      const response = await fx.app.request(URL_GITHUB, githubDelivery('issue_comment', payload));
      expect(response.status).toBe(202);
      return ((await response.json()) as { ignored: string }).ignored;
    };
    expect(await ignored(githubPrComment(quoted, 'bob'))).toBe('no_command');
    expect(await ignored(githubPrComment('/promote prod', 'dependabot[bot]', { type: 'Bot' }))).toBe('bot');
    const issue = githubPrComment('/promote prod', 'bob');
    delete issue.issue['pull_request'];
    expect(await ignored(issue)).toBe('not_pull_request');
    expect(await ignored({ ...githubPrComment('/promote prod', 'bob'), action: 'edited' })).toBe('action');
    const closed = githubPrComment('/promote prod', 'bob');
    closed.issue['state'] = 'closed';
    expect(await ignored(closed)).toBe('closed');
    await fx.tasks.idle();
    expect(fx.github.calls).toEqual([]);
    expect(fx.store.listDeploys()).toEqual([]);
  });

  it.each([
    'Looks good <!--\n/promote prod\n-->',
    'ok <!-- x --> <!--\n/promote prod\n-->',
    'Looks good <!-- /promote prod -->',
    'text <!-- a -->\n<!--\n\n/promote prod\n\n-->',
    '<!-- a --> /promote prod',
  ])('ignores a command inside an HTML comment that opens mid-line: %j', async (body) => {
    const fx = webhookFixture();
    fx.github.permissions.set('bob', 'write');
    const response = await fx.app.request(
      URL_GITHUB,
      githubDelivery('issue_comment', githubPrComment(body, 'bob')),
    );
    expect(response.status).toBe(202);
    expect(((await response.json()) as { ignored: string }).ignored).toBe('no_command');
    await fx.tasks.idle();
    expect(fx.store.listDeploys()).toEqual([]);
  });
});

describe('POST /api/webhook/github: verification and replays', () => {
  it('refuses unsigned and wrongly signed deliveries with 401 and changes nothing', async () => {
    const fx = webhookFixture();
    await fx.liveInRel('web', 'v1');
    fx.github.permissions.set('bob', 'write');
    const payload = githubPrComment('/promote prod', 'bob');
    const forged = githubDelivery('issue_comment', payload, { secret: 'guessed', delivery: 'd-1' });
    expect((await fx.app.request(URL_GITHUB, forged)).status).toBe(401);
    const unsigned = githubDelivery('issue_comment', payload, { delivery: 'd-1' });
    delete unsigned.headers['x-hub-signature-256'];
    expect((await fx.app.request(URL_GITHUB, unsigned)).status).toBe(401);
    const tampered = githubDelivery('issue_comment', payload, { delivery: 'd-1' });
    tampered.body = tampered.body.replace('/promote prod', '/rollback rel');
    const refused = await fx.app.request(URL_GITHUB, tampered);
    expect(refused.status).toBe(401);
    expect(JSON.stringify(await refused.json())).not.toContain('github-hook-secret');
    await fx.tasks.idle();
    expect(fx.github.calls).toEqual([]);
    expect(fx.store.listDeploys({ project: 'web', stage: 'prod' })).toEqual([]);

    // The refused deliveries did not burn the id: the genuine one still goes through.
    const genuine = await fx.app.request(
      URL_GITHUB,
      githubDelivery('issue_comment', payload, { delivery: 'd-1' }),
    );
    expect(genuine.status).toBe(202);
  });

  it('acts once on a replayed delivery, whether it comes with the same or a new delivery id', async () => {
    const fx = webhookFixture();
    fx.github.permissions.set('bob', 'write');
    fx.docker.setPullResult('registry.test/web:dev-1', {});
    const delivery = githubDelivery('issue_comment', githubPrComment('/deploy dev dev-1', 'bob'), {
      delivery: 'd-2',
    });
    fx.github.pullRequests.set(1, { number: 1, headSha: 'feed01', author: 'alice', state: 'open' });
    expect((await fx.app.request(URL_GITHUB, delivery)).status).toBe(202);
    const again = await fx.app.request(URL_GITHUB, delivery);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ignored: 'duplicate', delivery: 'd-2' });
    const newId = await fx.app.request(URL_GITHUB, {
      ...delivery,
      headers: { ...delivery.headers, 'x-github-delivery': 'd-3' },
    });
    expect(newId.status).toBe(200);
    expect(await newId.json()).toEqual({ ignored: 'duplicate' });
    await fx.tasks.idle();
    expect(fx.store.listDeploys({ project: 'web', stage: 'dev' })).toHaveLength(1);
    expect(fx.github.replies).toHaveLength(1);
  });
});

describe('POST /api/webhook/github: other events', () => {
  it('answers ping, ignores unknown events and hands registry pushes on', async () => {
    const fx = webhookFixture();
    expect(
      (await fx.app.request(URL_GITHUB, githubDelivery('ping', { zen: 'Keep it logically awesome.' })))
        .status,
    ).toBe(200);
    const star = await fx.app.request(URL_GITHUB, githubDelivery('star', { action: 'created' }));
    expect(star.status).toBe(202);
    expect(await star.json()).toEqual({ ignored: 'event', event: 'star' });

    const pkg = {
      action: 'published',
      registry_package: {
        name: 'Hello-World',
        namespace: 'Codertocat',
        package_type: 'CONTAINER',
        package_version: { container_metadata: { tag: { name: 'v2', digest: `sha256:${'b'.repeat(64)}` } } },
      },
    };
    expect((await fx.app.request(URL_GITHUB, githubDelivery('registry_package', pkg))).status).toBe(202);
    expect(fx.pushes).toEqual([{ forge: 'github', image: 'ghcr.io/codertocat/hello-world', tag: 'v2' }]);
  });
});
