import type { DeployEvent, DeployRecord, DeployStatus } from '../core/deploy-types.js';
import type { DeployObserver } from './deploy-observer.js';

/** Something that changes what the overview, project and stage pages show. */
export interface StageChange {
  project: string;
  stage: string;
  deployId: string;
  status: DeployStatus;
}

/**
 * A feed of stage changes for live pages: a deploy observer that passes on status and phase
 * events (what moves a status badge, a live version or a phase table), never the log lines
 * between them. Listeners are called synchronously and must not throw.
 */
export interface ChangeFeed extends DeployObserver {
  subscribe(listener: (change: StageChange) => void): () => void;
  /** Aborted by close(): streams on the feed end, so the server can close. */
  readonly closed: AbortSignal;
  close(): void;
}

/** Creates an empty feed; hand it to the deployer's observers and to the HTTP app. */
export function createChangeFeed(): ChangeFeed {
  const listeners = new Set<(change: StageChange) => void>();
  const closing = new AbortController();
  return {
    closed: closing.signal,
    close: () => closing.abort(),
    onDeployEvent(event: DeployEvent, record: DeployRecord) {
      if (event.type === 'log') return;
      const change = {
        project: record.project,
        stage: record.stage,
        deployId: record.id,
        status: record.status,
      };
      for (const listener of listeners) listener(change);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
