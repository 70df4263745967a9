import { readEnvFile } from '../config/env-file.js';
import { stageDomain } from '../config/domains.js';
import type { DeployEvent, DeployIntent, DeployRecord } from '../core/deploy-types.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { waitUntilFinal } from './deploy-events.js';
import { newDeployId } from './deploy-id.js';
import { findStage } from '../config/config-lookup.js';
import { checkPromotion, initialStatus, rollbackTarget } from './deploy-policy.js';
import type { DeployObserver } from './deploy-observer.js';
import { waitUntilHealthy } from './health-check.js';
import type { AfterPhaseHook } from './failpoint.js';
import { detectReach, type Reach } from './probe-url.js';
import { createLifecycle } from './lifecycle.js';
import { reconcile, type ReconcileSummary } from './reconcile.js';
import { StageQueue } from './stage-queue.js';
import type { HealthWaiter, SwapDeps } from './swap-context.js';
import type { EngineDeps } from './engine-deps.js';
import { runSwap } from './swap.js';
import { runTeardown, teardownDomain, teardownIntent } from './teardown.js';

/** Everything the deployer uses; the composition root (app) passes the real adapters. */
export interface DeployerDeps extends EngineDeps {
  /** Health checker (default: waitUntilHealthy of health-check.ts). */
  waitUntilHealthy?: HealthWaiter;
  /** Deploy id generator (default: sortable time + random). */
  newId?: () => string;
  /** How health probes reach containers (default: global.docker.reach, `auto` detected). */
  reach?: Reach;
  readEnvFile?: (file: string) => Record<string, string>;
  /** Follow every deploy event (forge reporting, notifications, metrics). */
  observers?: readonly DeployObserver[];
  /** Test hook run after each phase ended (the drills' failpoint, src/deploy/failpoint.ts). */
  afterPhase?: AfterPhaseHook;
  /** The stages' queues, shared with the route keeper (default: a queue of its own). */
  stages?: StageQueue;
}

/**
 * The deployer: the one deploy service, as the rest of the app sees it (HTTP API, comment
 * commands, poller, previews, dashboard). Requests are checked against the config by the caller
 * (see resolveStage); the deployer applies the stage's policy: auto_deploy / confirm -> awaiting_approval, otherwise
 * queued. One deploy runs at a time per stage; a newer request supersedes those queued behind
 * the running one. Different stages deploy in parallel.
 */
export interface Deployer {
  /** Records and queues (or parks for approval) a deploy; returns at once. */
  submit(intent: DeployIntent): DeployRecord;
  /** Approves a deploy awaiting approval and queues it. */
  approve(deployId: string, approvedBy: string): DeployRecord;
  /** Deploys the previous successful version of a stage through the same path. */
  rollback(project: string, stage: string, requestedBy?: string): DeployRecord;
  /**
   * Queues the removal of a stage (all its containers, its proxy route, its live version),
   * recorded in the history with trigger `teardown`. Works for stages no longer in the config.
   */
  teardown(project: string, stage: string, requestedBy?: string): DeployRecord;
  /** Live events of one deploy (after those already stored); returns an unsubscribe function. */
  subscribe(deployId: string, listener: (event: DeployEvent) => void): () => void;
  /** Resolves when the deploy reaches a final status. */
  waitFor(deployId: string, signal?: AbortSignal): Promise<DeployRecord>;
  /**
   * Reconciles what the last run left (reconcile.ts) while every stage's queue is held, then
   * queues, oldest first, the deploys still queued at the crash and those undone to be tried
   * again. Call once at start-up; deploys submitted meanwhile wait for it.
   */
  recover(): Promise<ReconcileSummary>;
  /** Stops taking deploys, lets running ones finish or roll back within the timeout. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** How many succeeded deploys of a stage a rollback looks back through. */
const ROLLBACK_HISTORY = 100;

/**
 * The deploy engine: applies the stage policy, queues per stage (newer requests supersede
 * queued ones), and runs each deploy as a blue-green swap (see swap.ts). Rollback is a deploy of
 * the previous version through the same path.
 */
export function createDeployer(deps: DeployerDeps): Deployer {
  const { store, clock, logger } = deps;
  const { config } = deps.settings;
  const lifecycle = createLifecycle(deps);
  const { events } = lifecycle;
  const newId = deps.newId ?? (() => newDeployId(clock.now()));
  const swapDeps: SwapDeps = {
    ...deps,
    events,
    lifecycle,
    reach: deps.reach ?? detectReach(deps.settings.engine.reach),
    readEnvFile: deps.readEnvFile ?? readEnvFile,
    waitUntilHealthy: deps.waitUntilHealthy ?? waitUntilHealthy,
  };
  let accepting = true;

  const queue = deps.stages ?? new StageQueue();
  const runner = (record: DeployRecord) => (signal: AbortSignal) =>
    record.kind === 'teardown'
      ? runTeardown(swapDeps, record.id, signal)
      : runSwap(swapDeps, record.id, signal);
  /** Deploys accepted while recover() reconciles: queued after those it resumes, in order. */
  let parked: DeployRecord[] | undefined;
  const enqueue = (record: DeployRecord) => {
    if (parked) parked.push(record);
    else queueNow(record);
  };
  const queueNow = (record: DeployRecord) =>
    queue.enqueue(`${record.project}/${record.stage}`, {
      id: record.id,
      run: async (signal) => {
        try {
          await runner(record)(signal);
        } catch (error) {
          logger.error('deploy run crashed', { deployId: record.id, error });
        }
      },
      superseded: (by) =>
        lifecycle.move(record.id, 'superseded', {
          message: `superseded by deploy ${by}, a newer request for the same stage`,
        }),
    });

  const assertAccepting = () => {
    if (!accepting) {
      throw new ConflictError(
        'docker-watcher is shutting down and takes no new deploys; send the request again after it restarts',
        409,
      );
    }
  };
  const promotionChecked = (intent: DeployIntent) => {
    const from = findStage(config, intent.project, intent.stage).stageConfig.promote_from;
    return checkPromotion(
      config,
      intent,
      from === undefined ? undefined : store.getLive(intent.project, from),
    );
  };

  const create = (intent: DeployIntent): DeployRecord => {
    assertAccepting();
    const status = initialStatus(config, intent);
    const where = `${intent.tag} on ${intent.project}/${intent.stage}`;
    const record = lifecycle.open(
      {
        id: newId(),
        kind: 'deploy',
        intent,
        status,
        createdAt: clock.now().toISOString(),
        domain: stageDomain(config, intent.project, intent.stage),
      },
      status === 'queued' ? `queued ${where} (${intent.trigger})` : `${where} awaits approval`,
    );
    if (status === 'queued') enqueue(record);
    return store.getDeploy(record.id) ?? record;
  };

  return {
    submit: (intent) => create(promotionChecked(intent)),

    approve(deployId, approvedBy) {
      assertAccepting();
      const record = store.getDeploy(deployId);
      if (!record) throw new NotFoundError(`no deploy ${deployId}; check the id in the deploy history`);
      if (record.status !== 'awaiting_approval' || record.kind !== 'deploy') {
        throw new ConflictError(`deploy ${deployId} is ${record.status}, not awaiting approval`, 409);
      }
      // The source stage may have moved on since the request was parked.
      promotionChecked(record.intent);
      const queued = lifecycle.move(deployId, 'queued', {
        message: `approved by ${approvedBy}`,
        patch: { approvedBy },
      });
      enqueue(queued);
      return store.getDeploy(deployId) ?? queued;
    },

    rollback(project, stage, requestedBy) {
      assertAccepting();
      findStage(config, project, stage);
      const live = store.getLive(project, stage);
      if (!live)
        throw new ConflictError(`nothing to roll back on ${project}/${stage}: no version is live there`, 409);
      const heads = store
        .listDeployHeads({ project, stage, status: ['succeeded'], limit: ROLLBACK_HISTORY })
        .filter((head) => head.kind === 'deploy');
      // Heads choose; only the chosen deploy is read whole (phases and intent).
      const { id } = rollbackTarget(live, heads);
      const target = store.getDeploy(id);
      if (target?.kind !== 'deploy') {
        throw new NotFoundError(`deploy ${id}, the rollback target, is no longer in the history; try again`);
      }
      const { rollbackOf: _previous, requestedBy: _by, ...rest } = target.intent;
      const digest = target.digest ?? target.intent.digest;
      return create({
        ...rest,
        ...(digest === undefined ? {} : { digest }),
        trigger: 'rollback',
        rollbackOf: target.id,
        ...(requestedBy === undefined ? {} : { requestedBy }),
      });
    },

    teardown(project, stage, requestedBy) {
      assertAccepting();
      const domain = teardownDomain(config, store, project, stage);
      const record = lifecycle.open(
        {
          id: newId(),
          kind: 'teardown',
          intent: teardownIntent(store, project, stage, requestedBy),
          status: 'queued',
          createdAt: clock.now().toISOString(),
          ...(domain === undefined ? {} : { domain }),
        },
        `queued teardown of ${project}/${stage}${requestedBy ? ` (by ${requestedBy})` : ''}`,
      );
      enqueue(record);
      return store.getDeploy(record.id) ?? record;
    },

    async recover() {
      const accepted = (parked ??= []);
      const reconciled = reconcile({ ...deps, lifecycle });
      queue.holdUntil(reconciled);
      try {
        return await reconciled;
      } finally {
        parked = undefined;
        // Oldest first: what the crash left queued (resumed, or undone to be tried again), then
        // what was accepted meanwhile. Also when reconcile failed: deploys go ahead then.
        const meanwhile = new Set(accepted.map((record) => record.id));
        const left = store.listDeploys({ status: ['queued'] }).reverse();
        for (const record of left) if (!meanwhile.has(record.id)) queueNow(record);
        for (const record of accepted) if (store.getDeploy(record.id)?.status === 'queued') queueNow(record);
      }
    },

    subscribe: (deployId, listener) => events.subscribe(deployId, listener),

    async waitFor(deployId, signal) {
      if (!store.getDeploy(deployId)) {
        throw new NotFoundError(`no deploy ${deployId}; check the id in the deploy history`);
      }
      return waitUntilFinal({ store, events }, deployId, signal);
    },

    async shutdown(timeoutMs) {
      accepting = false;
      for (const id of queue.dropQueued())
        lifecycle.move(id, 'cancelled', { message: 'cancelled: docker-watcher is shutting down' });
      const idle = queue.idle();
      const timer = new AbortController();
      const timedOut = await Promise.race([
        idle.then(() => false),
        clock.sleep(timeoutMs, timer.signal).then(
          () => true,
          () => false,
        ),
      ]);
      timer.abort();
      if (timedOut) {
        logger.warn('shutdown timeout reached; aborting running deploys, which roll back', { timeoutMs });
        queue.abortRunning(new Error(`shutdown timeout of ${timeoutMs} ms reached`));
        await idle;
      }
    },
  };
}
