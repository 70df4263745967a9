import { readEnvFile } from '../config/env-file.js';
import type { DeployIntent, DeployRecord, DeployStatus } from '../core/deploy-types.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { createDeployEventHub, waitUntilFinal } from './deploy-events.js';
import { newDeployId } from './deploy-id.js';
import { findStage } from '../config/config-lookup.js';
import { checkPromotion, initialStatus, rollbackTarget } from './deploy-policy.js';
import type { DeployObserver } from './deploy-observer.js';
import type { DeployService } from './deploy-service.js';
import { waitUntilHealthy } from './health-check.js';
import type { AfterPhaseHook } from './failpoint.js';
import { detectReach, type Reach } from './probe-url.js';
import { StageQueue } from './stage-queue.js';
import type { HealthWaiter, SwapDeps } from './swap-context.js';
import type { EngineDeps } from './engine-deps.js';
import { runSwap } from './swap.js';
import { runTeardown, teardownIntent } from './teardown.js';

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
  /** Deploys wait in their queue until this settles (the app's start-up reconcile). */
  ready?: Promise<unknown>;
}

/** How many succeeded deploys of a stage a rollback looks back through. */
const ROLLBACK_HISTORY = 100;

/**
 * The deploy engine: applies the stage policy, queues per stage (newer requests supersede
 * queued ones), and runs each deploy as a blue-green swap (see swap.ts). Rollback is a deploy of
 * the previous version through the same path.
 */
export function createDeployer(deps: DeployerDeps): DeployService {
  const { store, clock, logger } = deps;
  const { config } = deps.settings;
  const events = createDeployEventHub(deps);
  const newId = deps.newId ?? (() => newDeployId(clock.now()));
  const swapDeps: SwapDeps = {
    ...deps,
    events,
    reach: deps.reach ?? detectReach(deps.settings.engine.reach),
    readEnvFile: deps.readEnvFile ?? readEnvFile,
    waitUntilHealthy: deps.waitUntilHealthy ?? waitUntilHealthy,
  };
  let accepting = true;
  const ready = (deps.ready ?? Promise.resolve()).catch(() => undefined);

  const finish = (id: string, status: DeployStatus, message: string) => {
    store.updateDeploy(id, { status, finishedAt: clock.now().toISOString() });
    events.emit(id, { type: 'status', level: 'warn', status, message });
  };
  const queue = new StageQueue({
    onSuperseded: (id, by) =>
      finish(id, 'superseded', `superseded by deploy ${by}, a newer request for the same stage`),
    onError: (id, error) => logger.error('deploy run crashed', { deployId: id, error }),
  });
  const enqueue = (record: DeployRecord) =>
    queue.enqueue(`${record.project}/${record.stage}`, {
      id: record.id,
      run: async (signal) => {
        await ready;
        await runSwap(swapDeps, record.id, signal);
      },
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
    const id = newId();
    const record = store.createDeploy({ id, intent, status, createdAt: clock.now().toISOString() });
    const where = `${intent.tag} on ${intent.project}/${intent.stage}`;
    const message = status === 'queued' ? `queued ${where} (${intent.trigger})` : `${where} awaits approval`;
    events.emit(id, { type: 'status', level: 'info', status, message });
    if (status === 'queued') enqueue(record);
    return store.getDeploy(id) ?? record;
  };

  return {
    submit: (intent) => create(promotionChecked(intent)),

    approve(deployId, approvedBy) {
      assertAccepting();
      const record = store.getDeploy(deployId);
      if (!record) throw new NotFoundError(`no deploy ${deployId}; check the id in the deploy history`);
      if (record.status !== 'awaiting_approval') {
        throw new ConflictError(`deploy ${deployId} is ${record.status}, not awaiting approval`, 409);
      }
      // The source stage may have moved on since the request was parked.
      promotionChecked(record.intent);
      const queued = store.updateDeploy(deployId, { status: 'queued', approvedBy });
      events.emit(deployId, {
        type: 'status',
        level: 'info',
        status: 'queued',
        message: `approved by ${approvedBy}`,
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
      const history = store
        .listDeploys({ project, stage, status: ['succeeded'], limit: ROLLBACK_HISTORY })
        .filter((record) => record.intent.trigger !== 'teardown');
      const target = rollbackTarget(live, history);
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
      const intent = teardownIntent(config, store, project, stage, requestedBy);
      const record = store.createDeploy({
        id: newId(),
        intent,
        status: 'queued',
        createdAt: clock.now().toISOString(),
      });
      const message = `queued teardown of ${project}/${stage}${requestedBy ? ` (by ${requestedBy})` : ''}`;
      events.emit(record.id, { type: 'status', level: 'info', status: 'queued', message });
      queue.enqueue(`${project}/${stage}`, {
        id: record.id,
        run: async (signal) => {
          await ready;
          await runTeardown(swapDeps, record.id, signal);
        },
      });
      return store.getDeploy(record.id) ?? record;
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
        finish(id, 'cancelled', 'cancelled: docker-watcher is shutting down');
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
