import type { NotificationFormat } from '../config/schema.js';
import { EVENT_STYLES, hexColor, truncate } from './event-style.js';
import { notificationDetails, notificationTitle, type Notification } from './notification.js';

/** Where a notification goes and how: one webhook of the config. */
export interface NotifyTarget {
  url: string;
  format: NotificationFormat;
  /** Value of notification_token_env, when set. */
  token?: string;
}

/** A planned POST: built purely, sent by the notifier. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = 'docker-watcher';
const JSON_TYPE = 'application/json';

/** Builds the POST that delivers `n` to `target` in the target's format. */
export function buildWebhookRequest(n: Notification, target: NotifyTarget): WebhookRequest {
  switch (target.format) {
    case 'json':
      return jsonRequest(target, JSON.stringify(n), bearer(target.token));
    case 'ntfy':
      return ntfyRequest(n, target);
    case 'discord':
      return jsonRequest(target, JSON.stringify(discordBody(n)));
    case 'slack':
      return jsonRequest(target, JSON.stringify(slackBody(n)));
    case 'gotify':
      return jsonRequest(
        target,
        JSON.stringify(gotifyBody(n)),
        target.token === undefined ? {} : { 'X-Gotify-Key': target.token },
      );
  }
}

/** The page a click on the notification opens: the dashboard, else the site, run or commit. */
export function clickUrl(n: Notification): string | undefined {
  return n.links.deploy ?? n.links.site ?? n.links.run ?? n.links.commit;
}

/** Labelled links of a notification, in a fixed order. */
export function linkList(n: Notification): { label: string; url: string }[] {
  const links: [string, string | undefined][] = [
    ['Dashboard', n.links.deploy],
    ['Site', n.links.site],
    ['Commit', n.links.commit],
    ['CI run', n.links.run],
  ];
  return links.flatMap(([label, url]) => (url === undefined ? [] : [{ label, url }]));
}

function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}

function jsonRequest(target: NotifyTarget, body: string, extra: Record<string, string> = {}): WebhookRequest {
  return {
    url: target.url,
    headers: { 'Content-Type': JSON_TYPE, 'User-Agent': USER_AGENT, ...extra },
    body,
  };
}

/**
 * HTTP header values are Latin-1 at best; ntfy decodes RFC 2047 encoded words, so anything
 * beyond ASCII (emoji, accented project names) is sent as one.
 */
export function headerText(value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  return `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function ntfyRequest(n: Notification, target: NotifyTarget): WebhookRequest {
  const style = EVENT_STYLES[n.event];
  const click = clickUrl(n);
  const body = [...notificationDetails(n), ...linkList(n).map((link) => `${link.label}: ${link.url}`)];
  return {
    url: target.url,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'User-Agent': USER_AGENT,
      Title: headerText(notificationTitle(n)),
      Tags: headerText([style.ntfyTag, n.project, n.stage].join(',')),
      Priority: String(style.ntfyPriority),
      ...(click === undefined ? {} : { Click: click }),
      ...bearer(target.token),
    },
    body: body.join('\n'),
  };
}

/**
 * A link destination for markdown `[text](url)` (Discord, Gotify): what could end it or start
 * markup (`(`, `)`, `[`, `]`, `<`, `>`, whitespace, backslash) is percent-encoded.
 */
export function markdownUrl(url: string): string {
  return url.replace(
    /[()[\]<>\s\\`*_~|]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** A link for Slack's `<url|text>`: `|` and `>` would end it, `&`/`<` are markup (as &amp;, %3C). */
export function slackUrl(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/&/g, '&amp;');
}

/** Escapes markdown (Discord, Gotify) so tags and error messages show as written. */
function markdownText(text: string): string {
  return text.replace(/[\\*_~`|>[\]]/g, '\\$&');
}

function discordBody(n: Notification): object {
  const style = EVENT_STYLES[n.event];
  const links = linkList(n).map((link) => `[${link.label}](${markdownUrl(link.url)})`);
  const click = clickUrl(n);
  const fields = [
    { name: 'Project', value: n.project, inline: true },
    { name: 'Stage', value: n.stage, inline: true },
    { name: 'Tag', value: n.tag, inline: true },
    ...(links.length > 0 ? [{ name: 'Links', value: links.join(' · '), inline: false }] : []),
  ];
  return {
    username: USER_AGENT,
    // Names and messages come from requests and CI: they must never ping anyone.
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: truncate(`${style.emoji} ${notificationTitle(n)}`, 256),
        description: truncate(notificationDetails(n).map(markdownText).join('\n'), 4096),
        ...(click === undefined ? {} : { url: click }),
        color: style.color,
        fields: fields.map((field) => ({ ...field, value: truncate(field.value, 1024) })),
        footer: { text: `deploy ${n.deploy_id}` },
        timestamp: n.time,
      },
    ],
  };
}

/** Escapes the three characters Slack's mrkdwn (and Mattermost's translation) treat as markup. */
export function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackBody(n: Notification): object {
  const style = EVENT_STYLES[n.event];
  const title = notificationTitle(n);
  const links = linkList(n).map((link) => `<${slackUrl(link.url)}|${link.label}>`);
  const click = clickUrl(n);
  return {
    text: `${style.emoji} ${slackText(title)}`,
    attachments: [
      {
        fallback: title,
        color: hexColor(style.color),
        ...(click === undefined ? {} : { title: slackText(title), title_link: click }),
        text: [
          ...notificationDetails(n).map(slackText),
          ...(links.length > 0 ? [links.join(' · ')] : []),
        ].join('\n'),
        fields: [
          { title: 'Project', value: slackText(n.project), short: true },
          { title: 'Stage', value: slackText(n.stage), short: true },
        ],
        footer: `docker-watcher · deploy ${n.deploy_id}`,
        ts: Math.floor(Date.parse(n.time) / 1000),
      },
    ],
  };
}

function gotifyBody(n: Notification): object {
  const style = EVENT_STYLES[n.event];
  const click = clickUrl(n);
  const links = linkList(n).map((link) => `[${link.label}](${markdownUrl(link.url)})`);
  return {
    title: `${style.emoji} ${notificationTitle(n)}`,
    message: [
      ...notificationDetails(n).map(markdownText),
      ...(links.length > 0 ? [links.join(' · ')] : []),
    ].join('\n\n'),
    priority: style.gotifyPriority,
    extras: {
      'client::display': { contentType: 'text/markdown' },
      ...(click === undefined ? {} : { 'client::notification': { click: { url: click } } }),
    },
  };
}
