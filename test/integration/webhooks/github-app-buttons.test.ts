import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { githubDelivery, webhookConfig, webhookFixture } from './webhook-fixture.js';

const URL_GITHUB = '/api/webhook/github';
const APP_ID = 31;

/** webhookConfig with `gh` a GitHub App (the fixture's recording client stands for its client). */
const appConfig: ConfigInput = {
  ...webhookConfig,
  forges: {
    ...webhookConfig.forges,
    gh: {
      type: 'github',
      app_id: APP_ID,
      private_key_env: 'GH_APP_KEY',
      webhook_secret_env: 'GH_HOOK_SECRET',
    },
  },
};

const clickOn = (
  deployId: string,
  identifier: string,
  login: string,
  options: { appId?: number; action?: string } = {},
) => ({
  action: options.action ?? 'requested_action',
  check_run: { id: 555, external_id: deployId, pull_requests: [], app: { id: options.appId ?? APP_ID } },
  requested_action: { identifier },
  repository: { full_name: 'Codertocat/Hello-World', html_url: 'https://github.com/Codertocat/Hello-World' },
  sender: { login, type: 'User' },
});

/** A deploy of web to rel from PR 1, waiting for approval (rel has no auto_deploy). */
async function waitingDeploy() {
  const fx = webhookFixture({}, appConfig);
  const image = fx.publishTag('web', 'v2');
  const source = {
    forge: 'github' as const,
    serverUrl: 'https://github.com',
    repository: 'Codertocat/Hello-World',
    sha: 'feed01',
    pr: 1,
  };
  const record = fx.deployer.submit({
    project: 'web',
    stage: 'rel',
    image,
    tag: 'v2',
    trigger: 'ci',
    source,
  });
  expect(record.status).toBe('awaiting_approval');
  fx.github.pullRequests.set(1, { number: 1, headSha: 'feed01', author: 'alice', state: 'open' });
  fx.github.permissions.set('bob', 'write');
  return { fx, record };
}

describe('POST /api/webhook/github: check run buttons of a GitHub App', () => {
  it('Approve by a writer approves the waiting deploy, with the reply and no reaction', async () => {
    const { fx, record } = await waitingDeploy();
    const response = await fx.app.request(
      URL_GITHUB,
      githubDelivery('check_run', clickOn(record.id, 'approve', 'bob')),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 'button', project: 'web', command: 'approve' });
    await fx.tasks.idle();
    expect((await fx.deployer.waitFor(record.id)).approvedBy).toBe('bob');
    expect(fx.github.calls.map((c) => c.method)).not.toContain('addReaction');
    expect(fx.github.replies).toEqual([expect.stringContaining(`approved [${record.id}]`)]);
  });

  it('ignores what is not a button of our App for one of our deploys', async () => {
    const { fx, record } = await waitingDeploy();
    const cases: [unknown, string][] = [
      [clickOn(record.id, 'approve', 'bob', { appId: 99 }), 'not_our_app'],
      [clickOn(record.id, 'approve', 'bob', { action: 'rerequested' }), 'action'],
      [clickOn('no-such-deploy', 'approve', 'bob'), 'unknown_deploy'],
      [clickOn(record.id, 'format-disk', 'bob'), 'unknown_button'],
    ];
    for (const [payload, reason] of cases) {
      const response = await fx.app.request(URL_GITHUB, githubDelivery('check_run', payload));
      expect(await response.json()).toEqual({ ignored: reason });
    }
    const other = { ...clickOn(record.id, 'approve', 'bob'), repository: { full_name: 'someone/else' } };
    expect(await (await fx.app.request(URL_GITHUB, githubDelivery('check_run', other))).json()).toEqual({
      ignored: 'no_project',
    });
    await fx.tasks.idle();
    expect(fx.store.getDeploy(record.id)?.status).toBe('awaiting_approval');
  });

  it('refuses an unsigned click', async () => {
    const { fx, record } = await waitingDeploy();
    const response = await fx.app.request(
      URL_GITHUB,
      githubDelivery('check_run', clickOn(record.id, 'approve', 'bob'), { secret: 'forged' }),
    );
    expect(response.status).toBe(401);
    expect(fx.store.getDeploy(record.id)?.status).toBe('awaiting_approval');
  });
});
