import { describe, expect, it } from 'vitest';
import { buildWebhookRequest, headerText } from '../../../src/notify/formats.js';
import { buildNotification } from '../../../src/notify/notification.js';
import { failedRecord, succeededRecord } from './notify-records.js';

const time = new Date('2025-01-01T00:00:31.000Z');
const succeeded = buildNotification('succeeded', succeededRecord(), {
  publicUrl: 'https://dw.example.com',
  time,
});
const failed = buildNotification('failed', failedRecord(), { time });
const dashboard = 'https://dw.example.com/deploys/01JDEPLOY0001';
const ua = 'docker-watcher';

describe('buildWebhookRequest', () => {
  it('json: the documented body, with the token as a bearer when there is one', () => {
    const request = buildWebhookRequest(succeeded, {
      url: 'https://hooks.test/dw',
      format: 'json',
      token: 't0k',
    });
    expect(request).toEqual({
      url: 'https://hooks.test/dw',
      headers: { 'Content-Type': 'application/json', 'User-Agent': ua, Authorization: 'Bearer t0k' },
      body: JSON.stringify(succeeded),
    });
    expect(buildWebhookRequest(succeeded, { url: 'https://hooks.test/dw', format: 'json' }).headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': ua,
    });
  });

  it('ntfy: text body to the topic URL with Title, Tags, Priority and Click headers', () => {
    expect(
      buildWebhookRequest(succeeded, { url: 'https://ntfy.test/deploys', format: 'ntfy', token: 'tk_1' }),
    ).toEqual({
      url: 'https://ntfy.test/deploys',
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'User-Agent': ua,
        Title: 'v1.2.0 is live on web/prod',
        Tags: 'white_check_mark,web,prod',
        Priority: '3',
        Click: dashboard,
        Authorization: 'Bearer tk_1',
      },
      body: [
        'ci deploy by alice, git.example.com/acme/web:v1.2.0',
        `Dashboard: ${dashboard}`,
        'Site: https://www.example.com',
        'Commit: https://github.com/acme/web/commit/abc123',
        'CI run: https://github.com/acme/web/actions/runs/7',
      ].join('\n'),
    });
  });

  it('ntfy: a failure without links is loud and has no Click header', () => {
    const request = buildWebhookRequest(failed, { url: 'https://ntfy.test/deploys', format: 'ntfy' });
    expect(request.headers).toEqual({
      'Content-Type': 'text/plain; charset=utf-8',
      'User-Agent': ua,
      Title: 'Deploy of v1.2.0 to web/prod failed in health',
      Tags: 'rotating_light,web,prod',
      Priority: '4',
    });
    expect(request.body).toBe(
      'GET / answered 502 <Bad Gateway> & gave up\nmanual deploy by bob, git.example.com/acme/web:v1.2.0',
    );
  });

  it('ntfy headers beyond ASCII are RFC 2047 encoded words, line breaks removed', () => {
    expect(headerText('plain title')).toBe('plain title');
    expect(headerText('a\r\nb')).toBe('a b');
    expect(headerText('café')).toBe(`=?UTF-8?B?${Buffer.from('café').toString('base64')}?=`);
  });

  it('discord: one coloured embed that can ping nobody', () => {
    const request = buildWebhookRequest(failed, {
      url: 'https://discord.test/api/webhooks/1/x',
      format: 'discord',
    });
    expect(request.headers).toEqual({ 'Content-Type': 'application/json', 'User-Agent': ua });
    expect(JSON.parse(request.body)).toEqual({
      username: 'docker-watcher',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: '🚨 Deploy of v1.2.0 to web/prod failed in health',
          description:
            'GET / answered 502 <Bad Gateway\\> & gave up\nmanual deploy by bob, git.example.com/acme/web:v1.2.0',
          color: 0xe74c3c,
          fields: [
            { name: 'Project', value: 'web', inline: true },
            { name: 'Stage', value: 'prod', inline: true },
            { name: 'Tag', value: 'v1.2.0', inline: true },
          ],
          footer: { text: 'deploy 01JDEPLOY0001' },
          timestamp: '2025-01-01T00:00:31.000Z',
        },
      ],
    });
  });

  it('discord: links in a field, the dashboard as the embed URL, markdown escaped', () => {
    const marked = { ...succeeded, tag: 'v1_2*x', requested_by: 'al_ice' };
    const body = JSON.parse(
      buildWebhookRequest(marked, { url: 'https://d.test/x', format: 'discord' }).body,
    ) as {
      embeds: { url: string; color: number; description: string; fields: object[] }[];
    };
    expect(body.embeds[0]!.url).toBe(dashboard);
    expect(body.embeds[0]!.color).toBe(0x2ecc71);
    expect(body.embeds[0]!.description).toBe('ci deploy by al\\_ice, git.example.com/acme/web:v1\\_2\\*x');
    expect(body.embeds[0]!.fields.at(-1)).toEqual({
      name: 'Links',
      value: `[Dashboard](${dashboard}) · [Site](https://www.example.com) · [Commit](https://github.com/acme/web/commit/abc123) · [CI run](https://github.com/acme/web/actions/runs/7)`,
      inline: false,
    });
  });

  it('slack: text plus a coloured attachment, with <, > and & escaped', () => {
    const request = buildWebhookRequest(failed, {
      url: 'https://hooks.slack.test/services/T/B/x',
      format: 'slack',
    });
    expect(JSON.parse(request.body)).toEqual({
      text: '🚨 Deploy of v1.2.0 to web/prod failed in health',
      attachments: [
        {
          fallback: 'Deploy of v1.2.0 to web/prod failed in health',
          color: '#e74c3c',
          text: 'GET / answered 502 &lt;Bad Gateway&gt; &amp; gave up\nmanual deploy by bob, git.example.com/acme/web:v1.2.0',
          fields: [
            { title: 'Project', value: 'web', short: true },
            { title: 'Stage', value: 'prod', short: true },
          ],
          footer: 'docker-watcher · deploy 01JDEPLOY0001',
          ts: 1735689631,
        },
      ],
    });
  });

  it('slack: the title links to the dashboard and links use <url|label>', () => {
    const body = JSON.parse(
      buildWebhookRequest(succeeded, { url: 'https://s.test/x', format: 'slack' }).body,
    ) as {
      attachments: { title: string; title_link: string; text: string }[];
    };
    expect(body.attachments[0]!.title).toBe('v1.2.0 is live on web/prod');
    expect(body.attachments[0]!.title_link).toBe(dashboard);
    expect(body.attachments[0]!.text.split('\n').at(-1)).toBe(
      `<${dashboard}|Dashboard> · <https://www.example.com|Site> · <https://github.com/acme/web/commit/abc123|Commit> · <https://github.com/acme/web/actions/runs/7|CI run>`,
    );
  });

  it('gotify: title, markdown message, priority and click URL; the token as X-Gotify-Key', () => {
    const request = buildWebhookRequest(succeeded, {
      url: 'https://gotify.test/message',
      format: 'gotify',
      token: 'AppTok',
    });
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': ua,
      'X-Gotify-Key': 'AppTok',
    });
    expect(JSON.parse(request.body)).toEqual({
      title: '✅ v1.2.0 is live on web/prod',
      message: [
        'ci deploy by alice, git.example.com/acme/web:v1.2.0',
        `[Dashboard](${dashboard}) · [Site](https://www.example.com) · [Commit](https://github.com/acme/web/commit/abc123) · [CI run](https://github.com/acme/web/actions/runs/7)`,
      ].join('\n\n'),
      priority: 5,
      extras: {
        'client::display': { contentType: 'text/markdown' },
        'client::notification': { click: { url: dashboard } },
      },
    });
  });

  it('gotify: a failure is high priority and has no click without links', () => {
    const body = JSON.parse(
      buildWebhookRequest(failed, { url: 'https://g.test/message', format: 'gotify' }).body,
    );
    expect(body.priority).toBe(8);
    expect(body.extras).toEqual({ 'client::display': { contentType: 'text/markdown' } });
  });
});
