import type { NotificationEvent } from '../config/schema.js';
import {
  NOTHING_LIVE,
  type DeployRecord,
  type DeployStatus,
  type DeployTrigger,
  type Phase,
} from '../core/deploy-types.js';

export type { NotificationEvent } from '../config/schema.js';

/**
 * The documented body of a `json` notification (version 1). Other formats are built from it.
 * Keys are snake_case like the config; optional keys are left out when unknown, never null.
 */
export interface Notification {
  version: 1;
  event: NotificationEvent;
  deploy_id: string;
  project: string;
  stage: string;
  tag: string;
  /** Image repository without tag. */
  image: string;
  digest?: string;
  /** Where the stage is served. */
  url?: string;
  /** The deploy's status when the notification was made. */
  status: DeployStatus;
  trigger: DeployTrigger;
  requested_by?: string;
  approved_by?: string;
  /** On rollbacks: the earlier deploy whose version was restored. */
  rollback_of?: string;
  error?: { phase: Phase; message: string };
  links: NotificationLinks;
  /** ISO 8601 time the notification was made. */
  time: string;
}

export interface NotificationLinks {
  /** The deploy's dashboard page (needs global.public_url). */
  deploy?: string;
  /** The deployed site. */
  site?: string;
  commit?: string;
  run?: string;
}

const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/**
 * `url` as an absolute http(s) URL (serialized, spaces, quotes and angle brackets
 * percent-encoded, unless it is plain already), or undefined for anything else (`javascript:`,
 * relative, unparsable): links that come from a request must not steer where a click goes.
 */
export function httpLink(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    // Kept as written when it is plain RFC 3986 (no trailing slash added to a bare origin).
    return URI_CHARS.test(url) ? url : parsed.href;
  } catch {
    return undefined;
  }
}

/**
 * Builds the notification for `event` about `record`. `publicUrl` is global.public_url
 * (dashboard links are left out without it); `time` is when the event happened.
 */
export function buildNotification(
  event: NotificationEvent,
  record: DeployRecord,
  options: { publicUrl?: string | undefined; time: Date },
): Notification {
  const { intent } = record;
  const digest = record.digest ?? intent.digest;
  const links: NotificationLinks = {};
  const set = (key: keyof NotificationLinks, url: string | undefined) => {
    const link = httpLink(url);
    if (link !== undefined) links[key] = link;
  };
  if (options.publicUrl !== undefined) {
    set('deploy', `${options.publicUrl.replace(/\/+$/, '')}/deploys/${encodeURIComponent(record.id)}`);
  }
  set('site', record.url);
  const source = intent.source;
  if (source) {
    const repo = `${source.serverUrl.replace(/\/+$/, '')}/${encodeURI(source.repository)}`;
    set('commit', `${repo}/commit/${encodeURIComponent(source.sha)}`);
    set('run', source.runUrl);
  }
  const requestedBy = intent.requestedBy ?? source?.actor;
  return {
    version: 1,
    event,
    deploy_id: record.id,
    project: record.project,
    stage: record.stage,
    tag: intent.tag ?? NOTHING_LIVE,
    image: intent.image ?? '',
    ...(digest !== undefined ? { digest } : {}),
    ...(record.url !== undefined ? { url: record.url } : {}),
    status: record.status,
    trigger: intent.trigger,
    ...(requestedBy !== undefined ? { requested_by: requestedBy } : {}),
    ...(record.approvedBy !== undefined ? { approved_by: record.approvedBy } : {}),
    ...(intent.rollbackOf !== undefined ? { rollback_of: intent.rollbackOf } : {}),
    ...(record.error ? { error: { phase: record.error.phase, message: record.error.message } } : {}),
    links,
    time: options.time.toISOString(),
  };
}

/** One line saying what happened, for titles and chat messages. */
export function notificationTitle(n: Notification): string {
  const where = `${n.project}/${n.stage}`;
  switch (n.event) {
    case 'started':
      return `Deploying ${n.tag} to ${where}`;
    case 'succeeded':
      return `${n.tag} is live on ${where}`;
    case 'failed':
      return `Deploy of ${n.tag} to ${where} ${n.status === 'interrupted' ? 'was interrupted' : 'failed'}${n.error ? ` in ${n.error.phase}` : ''}`;
    case 'rolled_back':
      return `${where} rolled back to ${n.tag}`;
    case 'awaiting_approval':
      return `${n.tag} waits for approval to deploy to ${where}`;
  }
}

/** The details under the title: the error and who asked for what. Plain text lines (links apart). */
export function notificationDetails(n: Notification): string[] {
  const lines: string[] = [];
  if (n.error) lines.push(n.error.message);
  const by = n.requested_by !== undefined ? ` by ${n.requested_by}` : '';
  lines.push(`${n.trigger} deploy${by}, ${n.image}:${n.tag}`);
  return lines;
}
