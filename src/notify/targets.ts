import type { LoadedConfig } from '../config/loaded-config.js';
import type { NotifyTarget } from './formats.js';
import type { NotificationEvent } from './notification.js';

/** A configured webhook with a name for logs (never its URL, which may hold a secret). */
export interface NamedTarget extends NotifyTarget {
  /** `global` or `project <name>`. */
  name: string;
}

/**
 * The webhooks that want `event` of `project`: global.notification_url and the project's own.
 * The project's format and events default to the global ones; its token does not (the global
 * token belongs to the global endpoint and is never sent elsewhere). The same URL in the same
 * format is posted to once.
 */
export function notifyTargets(
  loaded: LoadedConfig,
  project: string,
  event: NotificationEvent,
): NamedTarget[] {
  const { global, projects } = loaded.config;
  const own = Object.hasOwn(projects, project) ? projects[project] : undefined;
  const token = (env: string | undefined) => {
    // Secrets read from files often end in a line feed, which no header may carry.
    const value = env === undefined ? undefined : loaded.secrets[env]?.trim();
    return value ? { token: value } : {};
  };
  const candidates: (NamedTarget & { events: readonly NotificationEvent[] })[] = [];
  if (global.notification_url !== undefined) {
    candidates.push({
      name: 'global',
      url: global.notification_url,
      format: global.notification_format,
      events: global.notification_events,
      ...token(global.notification_token_env),
    });
  }
  if (own?.notification_url !== undefined) {
    candidates.push({
      name: `project ${project}`,
      url: own.notification_url,
      format: own.notification_format ?? global.notification_format,
      events: own.notification_events ?? global.notification_events,
      ...token(own.notification_token_env),
    });
  }
  const seen = new Set<string>();
  return candidates.flatMap(({ events, ...target }) => {
    const key = `${target.format} ${target.url}`;
    if (!events.includes(event) || seen.has(key)) return [];
    seen.add(key);
    return [target];
  });
}
