import type { LoadedConfig } from '../config/loaded-config.js';
import type { Clock } from '../core/clock.js';
import { FINAL_STATUSES, type DeployEvent, type DeployRecord } from '../core/deploy-types.js';
import type { DeployObserver } from '../deploy/deploy-observer.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_RETRY_DELAYS_MS, deliver } from './deliver.js';
import { buildWebhookRequest } from './formats.js';
import { buildNotification, type NotificationEvent } from './notification.js';
import { notifyTargets } from './targets.js';

export interface NotifierDeps {
  loaded: LoadedConfig;
  clock: Clock;
  logger: Logger;
  /** Default: the global fetch (undici). */
  fetch?: typeof globalThis.fetch;
  /** Time limit of one try; default 10 s. */
  timeoutMs?: number;
  /** Pauses between tries; default 5, 15, 30, 60 s (5 tries over about two minutes). */
  retryDelaysMs?: readonly number[];
}

/** A DeployObserver that posts notifications; `idle` and `close` are for tests and shutdown. */
export interface Notifier extends DeployObserver {
  /** Resolves when every notification in flight has been delivered or given up. */
  idle(): Promise<void>;
  /** Stops retrying: pending notifications are dropped (logged) and `idle` resolves soon. */
  close(): Promise<void>;
}

/**
 * Which notification a deploy event means, if any. `running` counts once per deploy; a
 * succeeded rollback is `rolled_back`; an interrupted deploy is reported as failed.
 */
export function notificationEventOf(
  event: DeployEvent,
  record: DeployRecord,
  alreadyStarted: boolean,
): NotificationEvent | undefined {
  if (event.type !== 'status') return undefined;
  switch (event.status) {
    case 'running':
      return alreadyStarted ? undefined : 'started';
    case 'succeeded':
      return record.intent.trigger === 'rollback' ? 'rolled_back' : 'succeeded';
    case 'failed':
    case 'interrupted':
      return 'failed';
    case 'awaiting_approval':
      return 'awaiting_approval';
    default:
      return undefined;
  }
}

/**
 * Notifications to global.notification_url and the project's notification_url, each in its
 * own format. Returns at once from every event: delivery (with retries) runs detached, so a
 * slow or dead endpoint never slows or fails a deploy.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const fetch = deps.fetch ?? globalThis.fetch;
  const closing = new AbortController();
  const pending = new Set<Promise<unknown>>();
  const started = new Set<string>();
  const publicUrl = deps.loaded.config.global.public_url;
  const idle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  const send = (event: NotificationEvent, record: DeployRecord, at: Date) => {
    const notification = buildNotification(event, record, { publicUrl, time: at });
    for (const target of notifyTargets(deps.loaded, record.project, event)) {
      const logger = deps.logger.child({
        deployId: record.id,
        project: record.project,
        stage: record.stage,
        event,
      });
      const delivery = deliver(buildWebhookRequest(notification, target), {
        fetch,
        clock: deps.clock,
        logger,
        timeoutMs: deps.timeoutMs ?? 10_000,
        retryDelaysMs: deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
        signal: closing.signal,
        target: target.name,
      }).catch((error: unknown) => logger.error('notification crashed', { error }));
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    }
  };

  return {
    onDeployEvent(event, record) {
      if (closing.signal.aborted) return;
      try {
        const kind = notificationEventOf(event, record, started.has(record.id));
        if (kind === 'started') started.add(record.id);
        if (event.status !== undefined && FINAL_STATUSES.includes(event.status)) started.delete(record.id);
        if (kind !== undefined) send(kind, record, new Date(event.at));
      } catch (error) {
        deps.logger.error('notification could not be prepared', { deployId: record.id, error });
      }
    },
    idle,
    async close() {
      closing.abort(new Error('docker-watcher is shutting down'));
      await idle();
    },
  };
}
