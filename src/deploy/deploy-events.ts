import type { Clock } from '../core/clock.js';
import { FINAL_STATUSES, type DeployEvent, type DeployRecord } from '../core/deploy-types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { DeployObserver } from './deploy-observer.js';

export type DeployEventInput = Omit<DeployEvent, 'seq' | 'at' | 'deployId'>;
export type DeployEventListener = (event: DeployEvent) => void;

/** Stores deploy events, logs them and pushes them to live subscribers. */
export interface DeployEventHub {
  emit(deployId: string, event: DeployEventInput): DeployEvent;
  subscribe(deployId: string, listener: DeployEventListener): () => void;
}

/**
 * An event hub on top of the store; a throwing subscriber or observer never breaks a deploy.
 * Observers (forge reporting, notifications, metrics) see every event of every deploy.
 */
export function createDeployEventHub(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  observers?: readonly DeployObserver[];
}): DeployEventHub {
  const listeners = new Map<string, Set<DeployEventListener>>();
  const observers = deps.observers ?? [];
  return {
    emit(deployId, input) {
      const event = deps.store.appendEvent({ ...input, deployId, at: deps.clock.now().toISOString() });
      const record = deps.store.getDeploy(deployId);
      const fields = {
        deployId,
        project: record?.project,
        stage: record?.stage,
        phase: event.phase,
        status: event.status,
      };
      deps.logger[event.level](event.message, fields);
      for (const listener of listeners.get(deployId) ?? []) {
        try {
          listener(event);
        } catch (error) {
          deps.logger.warn('a deploy event subscriber threw', { deployId, error });
        }
      }
      for (const observer of record ? observers : []) {
        try {
          observer.onDeployEvent(event, record!);
        } catch (error) {
          deps.logger.warn('a deploy observer threw', { deployId, error });
        }
      }
      return event;
    },
    subscribe(deployId, listener) {
      const set = listeners.get(deployId) ?? new Set();
      set.add(listener);
      listeners.set(deployId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(deployId);
      };
    },
  };
}

/** Resolves with the deploy's record once it reaches a final status (at once if it has). */
export function waitUntilFinal(
  deps: { store: Store; events: DeployEventHub },
  deployId: string,
  signal?: AbortSignal,
): Promise<DeployRecord> {
  return new Promise<DeployRecord>((resolve, reject) => {
    const done = () => {
      const record = deps.store.getDeploy(deployId);
      if (!record || !FINAL_STATUSES.includes(record.status)) return;
      cleanup();
      resolve(record);
    };
    const onAbort = () => {
      cleanup();
      reject(signal?.reason as Error);
    };
    // Subscribe before the first look, so a status change in between is not missed.
    const unsubscribe = deps.events.subscribe(deployId, (event) => {
      if (event.type === 'status') done();
    });
    const cleanup = () => {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    done();
  });
}
