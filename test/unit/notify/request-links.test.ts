import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log/logger.js';
import { buildWebhookRequest } from '../../../src/notify/formats.js';
import { buildNotification, httpLink } from '../../../src/notify/notification.js';
import { createNotifier } from '../../../src/notify/notifier.js';
import { appFixture, GLOBAL_SECRET, TEST_CONFIG } from '../../fakes/app-fixture.js';
import { signedPost, webDeployBody } from '../../helpers/signed-request.js';
import { succeededRecord } from './notify-records.js';

const HOSTILE_RUN = 'https://ci.example/run|<!channel>)](https://evil.example)>x';

function slackApp() {
  const sent: { url: string; body: string }[] = [];
  const loaded: LoadedConfig = {
    config: configSchema.parse({
      ...TEST_CONFIG,
      global: {
        ...TEST_CONFIG.global,
        notification_url: 'https://hooks.test/slack',
        notification_format: 'slack',
      },
    }),
    file: '/test/dw.yaml',
    dir: '/test',
    secrets: {},
  };
  const notifier = createNotifier({
    loaded,
    clock: { now: () => new Date(), sleep: () => Promise.resolve() },
    logger: silentLogger,
    fetch: (async (url: string, init: RequestInit) => {
      sent.push({ url, body: init.body as string });
      return new Response('ok');
    }) as typeof fetch,
  });
  return { ...appFixture({ autoRun: true, observers: [notifier] }), notifier, sent };
}

describe('links from a request in notifications', () => {
  it('refuses a deploy request whose runUrl or serverUrl is not http(s) (400)', async () => {
    const { app, deploys } = slackApp();
    for (const source of [
      { runUrl: 'javascript:alert(1)' },
      { serverUrl: 'javascript://github.com/%0aalert(1)' },
      { runUrl: 'data:text/html,hi' },
    ]) {
      const body = webDeployBody();
      body['source'] = { ...(body['source'] as object), ...source };
      const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, body));
      expect(res.status, JSON.stringify(source)).toBe(400);
    }
    expect(deploys.submitted).toEqual([]);
  });

  it('keeps |, >, ) and <!channel> in a run link as text in the Slack message the app sends', async () => {
    const { app, notifier, sent } = slackApp();
    const body = webDeployBody();
    body['source'] = { ...(body['source'] as object), runUrl: HOSTILE_RUN };
    expect((await app.request('/api/deploys', signedPost(GLOBAL_SECRET, body))).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await notifier.idle();
    expect(sent.length).toBeGreaterThan(0);
    for (const { body: raw } of sent) {
      const text = (JSON.parse(raw) as { attachments: { text: string }[] }).attachments[0]!.text;
      expect(text).not.toContain('<!channel>');
      const links = text.split('\n').at(-1)!.split(' · ');
      for (const link of links) expect(link).toMatch(/^<[^<>|]+\|[A-Za-z ]+>$/);
    }
  });
});

describe('escaping links per format', () => {
  const record = succeededRecord();
  const notification = buildNotification(
    'succeeded',
    { ...record, intent: { ...record.intent, source: { ...record.intent.source!, runUrl: HOSTILE_RUN } } },
    { time: new Date() },
  );

  it('drops links that are not http(s)', () => {
    expect(httpLink('javascript:alert(1)')).toBeUndefined();
    expect(httpLink('/relative')).toBeUndefined();
    expect(httpLink('https://ok.example/a b')).toBe('https://ok.example/a%20b');
    const bad = buildNotification(
      'succeeded',
      {
        ...record,
        intent: { ...record.intent, source: { ...record.intent.source!, runUrl: 'javascript:alert(1)' } },
      },
      { time: new Date() },
    );
    expect(bad.links.run).toBeUndefined();
  });

  it.each(['discord', 'gotify'] as const)('%s: a markdown link cannot be closed early', (format) => {
    const request = buildWebhookRequest(notification, { url: 'https://hooks.test/x', format });
    const text = request.body;
    const run = /\[CI run\]\(([^)]*)\)/.exec(JSON.parse(JSON.stringify(text)) as string);
    expect(run).not.toBeNull();
    expect(run![1]).not.toMatch(/[()<>\s[\]|]/);
    expect(text).not.toContain('](https://evil.example)');
  });
});
