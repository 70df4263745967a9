import type { Config } from '../config/schema.js';
import type { DeployIntent, DeployTrigger, LiveVersion, VersionDeployRecord } from '../core/deploy-types.js';
import { findStage } from '../config/config-lookup.js';
import type { StageConfig } from '../config/schema.js';
import { ConflictError } from '../core/errors.js';

/** Triggers that are themselves a person's decision, so they never wait for another approval. */
const APPROVING_TRIGGERS: readonly DeployTrigger[] = ['manual', 'rollback', 'comment', 'promote'];

/** Whether a stage needs a person's approval: it does not auto-deploy or wants confirmation. */
export function stageNeedsApproval(stage: StageConfig): boolean {
  return !stage.auto_deploy || stage.confirm;
}

/** awaiting_approval when the stage does not auto-deploy or wants confirmation, unless a person asked. */
export function initialStatus(config: Config, intent: DeployIntent): 'queued' | 'awaiting_approval' {
  const { stageConfig } = findStage(config, intent.project, intent.stage);
  return stageNeedsApproval(stageConfig) && !APPROVING_TRIGGERS.includes(intent.trigger)
    ? 'awaiting_approval'
    : 'queued';
}

/**
 * A stage with promote_from only takes the version live in that stage. Returns the intent pinned
 * to that digest (a promotion by tag alone is pinned to what was tested), or throws a ConflictError.
 */
export function checkPromotion(
  config: Config,
  intent: DeployIntent,
  sourceLive: LiveVersion | undefined,
): DeployIntent {
  const { stageConfig } = findStage(config, intent.project, intent.stage);
  const from = stageConfig.promote_from;
  if (from === undefined) return intent;
  const where = `${intent.project}/${intent.stage} only accepts the version live in ${intent.project}/${from}`;
  if (!sourceLive) throw new ConflictError(`${where}, and nothing is live there; deploy to ${from} first`);
  const sameDigest = intent.digest !== undefined && intent.digest === sourceLive.digest;
  const sameTagUnpinned =
    intent.digest === undefined && intent.tag === sourceLive.tag && intent.image === sourceLive.image;
  if (!sameDigest && !sameTagUnpinned) {
    throw new ConflictError(
      `${where} (${sourceLive.tag} ${sourceLive.digest ?? 'without digest'}), not ${intent.tag} ${intent.digest ?? 'without digest'}`,
    );
  }
  return sourceLive.digest === undefined ? intent : { ...intent, digest: sourceLive.digest };
}

/**
 * The deploy a rollback restores: the newest succeeded deploy of the stage older than the live
 * one that ran a different image. `history` is newest first.
 */
export function rollbackTarget<T extends Pick<VersionDeployRecord, 'id' | 'status' | 'imageRef'>>(
  live: LiveVersion,
  history: readonly T[],
): T {
  const liveIndex = history.findIndex((d) => d.id === live.deployId);
  const older = liveIndex === -1 ? history : history.slice(liveIndex + 1);
  const target = older.find((d) => d.status === 'succeeded' && d.imageRef !== live.imageRef);
  if (!target) {
    throw new ConflictError(
      `nothing to roll back to on ${live.project}/${live.stage}: no successful deploy older than the live ${live.tag}`,
      409,
    );
  }
  return target;
}
