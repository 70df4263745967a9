import { findStage } from '../config/config-lookup.js';
import type { Config } from '../config/schema.js';
import type { LiveVersion } from '../core/deploy-types.js';
import { ConflictError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { IntakeRequest } from './intake.js';

/** What a promotion into a stage would deploy: the version live in its promote_from stage. */
export interface PromotionOffer {
  from: string;
  live: LiveVersion;
  /** The stage already runs exactly that version. */
  current: boolean;
}

/**
 * What promoting into `project/stage` deploys, or a sentence saying why there is nothing:
 * the stage has no promote_from, or nothing is live in the stage it promotes from.
 * The one rule behind the dashboard's Promote button, the API, the CLI and `/promote`.
 * An unknown project or stage is a NotFoundError (own-property lookup).
 */
export function promotionOffer(
  config: Config,
  store: Pick<Store, 'getLive'>,
  project: string,
  stage: string,
): PromotionOffer | { refused: string } {
  const from = findStage(config, project, stage).stageConfig.promote_from;
  if (from === undefined) {
    return { refused: `stage ${stage} has no promote_from, so there is nothing to promote into it` };
  }
  const live = store.getLive(project, from);
  if (!live) return { refused: `nothing is live in ${from} to promote to ${stage}; deploy to ${from} first` };
  const here = store.getLive(project, stage);
  const current =
    here !== undefined &&
    (live.digest !== undefined ? here.digest === live.digest : here.imageRef === live.imageRef);
  return { from, live, current };
}

/**
 * The intake request of a promotion, pinned to the digest live in the source stage (the deploy
 * policy checks it again when it is submitted). Throws ConflictError when there is nothing to promote.
 */
export function promotionRequest(
  config: Config,
  store: Pick<Store, 'getLive'>,
  project: string,
  stage: string,
  requestedBy: string,
): IntakeRequest {
  const offer = promotionOffer(config, store, project, stage);
  if ('refused' in offer) throw new ConflictError(offer.refused, 409);
  return {
    project,
    stage,
    tag: offer.live.tag,
    ...(offer.live.digest === undefined ? {} : { digest: offer.live.digest }),
    trigger: 'promote',
    requestedBy,
  };
}
