import type { Clock } from '../core/clock.js';
import type { DeployEvent } from '../core/deploy-types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';

export type DeployEventInput = Omit<DeployEvent, 'seq' | 'at' | 'deployId'>;
export type DeployEventListener = (event: DeployEvent) => void;

/** Stores deploy events, logs them and pushes them to live subscribers. */
export interface DeployEventHub {
  emit(deployId: string, event: DeployEventInput): DeployEvent;
  subscribe(deployId: string, listener: DeployEventListener): () => void;
}

/** An event hub on top of the store; a throwing subscriber never breaks a deploy. */
export function createDeployEventHub(deps: { store: Store; clock: Clock; logger: Logger }): DeployEventHub {
  const listeners = new Map<string, Set<DeployEventListener>>();
  return {
    emit(deployId, input) {
      const event = deps.store.appendEvent({ ...input, deployId, at: deps.clock.now().toISOString() });
      const fields = { deployId, phase: event.phase, status: event.status };
      deps.logger[event.level](event.message, fields);
      for (const listener of listeners.get(deployId) ?? []) {
        try {
          listener(event);
        } catch (error) {
          deps.logger.warn('a deploy event subscriber threw', { deployId, error });
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
