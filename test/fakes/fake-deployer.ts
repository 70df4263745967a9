import type { ReconcileSummary } from '../../src/deploy/reconcile.js';
import type { Clock } from '../../src/core/clock.js';
import { systemClock } from '../../src/core/clock.js';
import {
  FINAL_STATUSES,
  PHASES,
  type DeployEvent,
  type DeployIntent,
  type DeployRecord,
  type DeployStatus,
  type Phase,
  type TeardownIntent,
  type VersionDeployRecord,
} from '../../src/core/deploy-types.js';
import { teardownIntent } from '../../src/deploy/teardown.js';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { DeployEventHub } from '../../src/deploy/deploy-events.js';
import { createLifecycle, type DeployLifecycle } from '../../src/deploy/lifecycle.js';
import type { DeployObserver } from '../../src/deploy/deploy-observer.js';
import { newDeployId } from '../../src/deploy/deploy-id.js';
import type { Deployer } from '../../src/deploy/deployer.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Store } from '../../src/store/store.js';

/** How a fake deploy goes: through every phase, or failing in `failAt`. */
export interface FakeOutcome {
  failAt?: Phase;
  message?: string;
  url?: string;
}

export interface FakeDeployerOptions {
  store: Store;
  clock?: Clock;
  /** Start running queued deploys by themselves (otherwise call `run`). */
  autoRun?: boolean;
  /** Which deploys park for approval; none by default. */
  needsApproval?: (intent: DeployIntent) => boolean;
  outcome?: (intent: DeployIntent) => FakeOutcome;
  /** Pause between phases, so followers see events arrive live. */
  phaseDelayMs?: number;
  /** Follow every event as the deployer's observers do (notifications, metrics). */
  observers?: readonly DeployObserver[];
}

/**
 * A hand-written Deployer for the API and the action: records deploys and events in the
 * real store, walks the phases in order and ends as the outcome says, without Docker.
 */
export class FakeDeployer implements Deployer {
  readonly submitted: DeployIntent[] = [];
  readonly approvals: { id: string; by: string }[] = [];
  readonly teardowns: TeardownIntent[] = [];
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #hub: DeployEventHub;
  readonly #lifecycle: DeployLifecycle;
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly #running = new Set<Promise<unknown>>();

  constructor(private readonly options: FakeDeployerOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    // The real lifecycle: the fake moves statuses by the same table as the deployer.
    this.#lifecycle = createLifecycle({
      store: this.#store,
      clock: this.#clock,
      logger: silentLogger,
      ...(options.observers ? { observers: options.observers } : {}),
    });
    this.#hub = this.#lifecycle.events;
  }

  submit(intent: DeployIntent): DeployRecord {
    this.submitted.push(intent);
    const status = this.options.needsApproval?.(intent) ? 'awaiting_approval' : 'queued';
    const now = this.#clock.now();
    const record = this.#lifecycle.open(
      { id: newDeployId(now), kind: 'deploy', intent, status, createdAt: now.toISOString() },
      `deploy ${status}`,
    );
    if (status === 'queued' && this.options.autoRun) this.#start(record.id);
    return record;
  }

  approve(deployId: string, approvedBy: string): DeployRecord {
    const record = this.#store.getDeploy(deployId);
    if (!record) throw new NotFoundError(`deploy ${deployId} does not exist`);
    if (record.status !== 'awaiting_approval')
      throw new ConflictError(`deploy ${deployId} is ${record.status}`, 409);
    this.approvals.push({ id: deployId, by: approvedBy });
    const updated = this.#lifecycle.move(deployId, 'queued', {
      message: `approved by ${approvedBy}`,
      patch: { approvedBy },
    });
    if (this.options.autoRun) this.#start(deployId);
    return updated;
  }

  rollback(project: string, stage: string, requestedBy?: string): DeployRecord {
    const previous = this.#store
      .listDeploys({ project, stage, status: ['succeeded'] })
      .find(
        (record): record is VersionDeployRecord =>
          record.kind === 'deploy' && record.id !== this.#store.getLive(project, stage)?.deployId,
      );
    if (!previous)
      throw new ConflictError(`stage ${project}/${stage} has no earlier version to roll back to`);
    return this.submit({
      ...previous.intent,
      trigger: 'rollback',
      rollbackOf: previous.id,
      ...(requestedBy ? { requestedBy } : {}),
    });
  }

  /** Records the request and a queued history entry with trigger `teardown`; nothing is removed. */
  teardown(project: string, stage: string, requestedBy?: string): DeployRecord {
    const intent = teardownIntent(this.#store, project, stage, requestedBy);
    this.teardowns.push(intent);
    const now = this.#clock.now();
    const record = this.#lifecycle.open(
      { id: newDeployId(now), kind: 'teardown', intent, status: 'queued', createdAt: now.toISOString() },
      'teardown queued',
    );
    if (this.options.autoRun) this.#track(this.#tearDown(record.id));
    return record;
  }

  /** A teardown as the engine records it: one `teardown` phase, then succeeded. */
  async #tearDown(deployId: string): Promise<DeployRecord> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#lifecycle.move(deployId, 'running', { message: 'teardown running' });
    this.#store.beginPhase(deployId, 'teardown', this.#clock.now().toISOString());
    this.emit(deployId, { type: 'phase', level: 'info', phase: 'teardown', message: 'teardown started' });
    this.#store.endPhase(deployId, 'teardown', true, this.#clock.now().toISOString());
    return this.finish(deployId, 'succeeded');
  }

  subscribe(deployId: string, listener: (event: DeployEvent) => void): () => void {
    return this.#hub.subscribe(deployId, listener);
  }

  waitFor(deployId: string, signal?: AbortSignal): Promise<DeployRecord> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const record = this.#store.getDeploy(deployId);
        if (!record) return reject(new NotFoundError(`deploy ${deployId} does not exist`));
        if (FINAL_STATUSES.includes(record.status)) return resolve(record);
        this.#waiters.set(deployId, [...(this.#waiters.get(deployId) ?? []), check]);
      };
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      check();
    });
  }

  /** Nothing to recover: the fake runs no containers (the real recovery: test/unit/deploy, the drills). */
  async recover(): Promise<ReconcileSummary> {
    const none: string[] = [];
    return {
      interrupted: none,
      completed: none,
      retried: none,
      resumed: none,
      removedContainers: none,
      restoredRoutes: none,
      restartedContainers: none,
      adopted: none,
    };
  }

  async shutdown(): Promise<void> {
    await this.idle();
  }

  /** Resolves when the deploys started by autoRun have finished (call before closing the store). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #start(deployId: string): void {
    this.#track(new Promise((resolve) => setImmediate(resolve)).then(() => this.run(deployId)));
  }

  #track(running: Promise<unknown>): void {
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  /** Emits an event as the engine would (stored, then pushed to subscribers). */
  emit(deployId: string, event: Omit<DeployEvent, 'seq' | 'at' | 'deployId'>): DeployEvent {
    return this.#hub.emit(deployId, event);
  }

  /** Walks a queued deploy through the phases to its outcome. */
  async run(deployId: string): Promise<DeployRecord> {
    const record = this.#store.getDeploy(deployId)!;
    if (record.kind !== 'deploy')
      throw new Error(`the fake runs deploys only, not the ${record.kind} ${deployId}`);
    const outcome = this.options.outcome?.(record.intent) ?? {};
    this.#lifecycle.move(deployId, 'running', { message: 'deploy running' });
    for (const phase of PHASES) {
      await new Promise((resolve) => setTimeout(resolve, this.options.phaseDelayMs ?? 0));
      this.#store.beginPhase(deployId, phase, this.#clock.now().toISOString());
      this.emit(deployId, { type: 'phase', level: 'info', phase, message: `${phase} started` });
      if (outcome.failAt === phase) {
        const message = outcome.message ?? `${phase} failed`;
        this.#store.endPhase(deployId, phase, false, this.#clock.now().toISOString());
        this.emit(deployId, { type: 'phase', level: 'error', phase, message });
        return this.finish(deployId, 'failed', { error: { phase, message } });
      }
      this.#store.endPhase(deployId, phase, true, this.#clock.now().toISOString());
    }
    const url = outcome.url ?? `http://${record.project}-${record.stage}.test`;
    const digest = record.intent.digest ?? `sha256:${'a'.repeat(64)}`;
    return this.finish(deployId, 'succeeded', { url, digest });
  }

  /** Ends a deploy with `status` and wakes everyone waiting for it. */
  finish(
    deployId: string,
    status: DeployStatus,
    patch: Parameters<Store['updateDeploy']>[1] = {},
  ): DeployRecord {
    const record = this.#lifecycle.move(deployId, status, {
      level: status === 'succeeded' ? 'info' : 'error',
      message: `deploy ${status}`,
      patch,
    });
    const waiters = this.#waiters.get(deployId) ?? [];
    this.#waiters.delete(deployId);
    for (const wake of waiters) wake();
    return record;
  }
}
