import type { Clock } from '../core/clock.js';
import {
  FINAL_STATUSES,
  type DeployEvent,
  type DeployRecord,
  type DeployStatus,
  type Phase,
} from '../core/deploy-types.js';
import { ConflictError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { DeployPatch, NewDeploy, Store } from '../store/store.js';
import { createDeployEventHub, type DeployEventHub } from './deploy-events.js';
import type { DeployObserver } from './deploy-observer.js';

/**
 * Every status change a deploy may make. `running -> queued` is the one retry: a deploy cut
 * off by a restart before its switch is undone and queued again, once (reconcile.ts).
 */
export const TRANSITIONS: Readonly<Record<DeployStatus, readonly DeployStatus[]>> = {
  awaiting_approval: ['queued', 'cancelled'],
  queued: ['running', 'superseded', 'cancelled', 'interrupted'],
  running: ['succeeded', 'failed', 'interrupted', 'queued'],
  succeeded: [],
  failed: [],
  superseded: [],
  interrupted: [],
  cancelled: [],
};

/** Whether `from -> to` is in the table. */
export function canTransition(from: DeployStatus, to: DeployStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** What a status change says, and what else of the record changes with it. */
export interface StatusChange {
  message: string;
  /** Default: info, warn for superseded/cancelled/interrupted, error for failed. */
  level?: DeployEvent['level'];
  phase?: Phase;
  patch?: DeployPatch;
}

/**
 * The one writer of a deploy's status. Each change is checked against TRANSITIONS, written in
 * one compare-and-set statement (so two writers can never both move the same deploy), stamped
 * (startedAt when it runs, finishedAt when it ends), and announced as a status event to the
 * subscribers and the observers (forge reporting, notifications, metrics, the route keeper),
 * whoever decided it: the deployer, a swap, a teardown, or reconcile at start-up.
 */
export interface DeployLifecycle {
  readonly events: DeployEventHub;
  /** Records a new deploy in its first status (queued or awaiting_approval). */
  open(input: NewDeploy & { status: 'queued' | 'awaiting_approval' }, message: string): DeployRecord;
  /** Moves a deploy to `to`; a ConflictError (409) when the table does not allow it from where it is. */
  move(deployId: string, to: DeployStatus, change: StatusChange): DeployRecord;
}

export interface LifecycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  observers?: readonly DeployObserver[];
}

function defaultLevel(status: DeployStatus): DeployEvent['level'] {
  if (status === 'failed') return 'error';
  if (status === 'superseded' || status === 'cancelled' || status === 'interrupted') return 'warn';
  return 'info';
}

export function createLifecycle(deps: LifecycleDeps): DeployLifecycle {
  const { store, clock } = deps;
  const events = createDeployEventHub(deps);
  const announce = (record: DeployRecord, change: StatusChange) =>
    events.emit(record.id, {
      type: 'status',
      level: change.level ?? defaultLevel(record.status),
      status: record.status,
      message: change.message,
      ...(change.phase === undefined ? {} : { phase: change.phase }),
    });

  return {
    events,
    open(input, message) {
      const record = store.createDeploy(input);
      announce(record, { message });
      return store.getDeploy(record.id) ?? record;
    },
    move(deployId, to, change) {
      const current = store.getDeploy(deployId);
      if (!current) throw new ConflictError(`no deploy ${deployId} to move to ${to}`, 409);
      if (!canTransition(current.status, to)) {
        throw new ConflictError(
          `deploy ${deployId} is ${current.status} and cannot become ${to}` +
            (FINAL_STATUSES.includes(current.status) ? ': it has ended' : ''),
          409,
        );
      }
      const now = clock.now().toISOString();
      const stamps: DeployPatch =
        to === 'running' ? { startedAt: now } : FINAL_STATUSES.includes(to) ? { finishedAt: now } : {};
      const moved = store.transitionDeploy(deployId, current.status, to, { ...stamps, ...change.patch });
      if (!moved) {
        const now = store.getDeploy(deployId)?.status;
        throw new ConflictError(
          `deploy ${deployId} changed to ${now} while it was being moved to ${to}`,
          409,
        );
      }
      announce(moved, change);
      return store.getDeploy(deployId) ?? moved;
    },
  };
}
