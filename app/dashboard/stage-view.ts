import { stageDomain } from '../../src/config/domains.js';
import type { DeployRecord, LiveVersion, VersionDeployRecord } from '../../src/core/deploy-types.js';
import type { Store } from '../../src/store/store.js';
import type { Config } from '../../src/config/schema.js';
import type { CertificateStatus } from '../../src/proxy/router.js';
import { rollbackTarget } from '../../src/deploy/deploy-policy.js';
import { promotionOffer, type PromotionOffer } from '../../src/deploy/promotion.js';

/** What the dashboard shows of one stage. */
export interface StageView {
  project: string;
  stage: string;
  tagPattern: string;
  /** The stage this one takes its versions from. */
  promoteFrom?: string;
  domain: string;
  live?: LiveVersion;
  /** URL of the live version, as its deploy recorded it. */
  liveUrl?: string;
  lastDeploy?: DeployRecord;
  awaiting: DeployRecord[];
  /** Whether a succeeded deploy other than the live one exists to roll back to. */
  canRollBack: boolean;
  /** The certificate docker-watcher asked NPM for (certificate: request), if it asked. */
  certificate?: CertificateStatus;
  /** The deploy a rollback would restore (the deployer's rule, rollbackTarget). */
  rollbackTo?: VersionDeployRecord;
  /** With promote_from: what a promotion would deploy, when something is live there. */
  promotion?: PromotionOffer;
}

/** How many succeeded deploys the view looks through for the rollback target. */
const ROLLBACK_LOOKBACK = 20;

function rollbackOf(store: Store, live: LiveVersion | undefined): VersionDeployRecord | undefined {
  if (!live) return undefined;
  const heads = store
    .listDeployHeads({
      project: live.project,
      stage: live.stage,
      status: ['succeeded'],
      limit: ROLLBACK_LOOKBACK,
    })
    .filter((head) => head.kind === 'deploy');
  try {
    // Only the chosen one is read whole: at 510 stages an overview read 20 full records a stage.
    const target = store.getDeploy(rollbackTarget(live, heads).id);
    return target?.kind === 'deploy' ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a stage's live version, last deploy and waiting approvals from the store. */
export function stageView(
  config: Config,
  store: Store,
  project: string,
  stage: string,
  certificateOf?: (domain: string) => CertificateStatus | undefined,
): StageView {
  const stageConfig = config.projects[project]!.stages[stage]!;
  const live = store.getLive(project, stage);
  const lastDeploy = store.listDeploys({ project, stage, limit: 1 })[0];
  const awaiting = store.listDeploys({ project, stage, status: ['awaiting_approval'], limit: 20 });
  const rollbackTo = rollbackOf(store, live);
  const offer = promotionOffer(config, store, project, stage);
  const liveUrl = live ? store.getDeploy(live.deployId)?.url : undefined;
  const domain = stageDomain(config, project, stage);
  const certificate = certificateOf?.(domain);
  return {
    project,
    stage,
    tagPattern: stageConfig.tag_pattern,
    domain,
    ...(certificate ? { certificate } : {}),
    ...(stageConfig.promote_from ? { promoteFrom: stageConfig.promote_from } : {}),
    ...(live ? { live } : {}),
    ...(liveUrl ? { liveUrl } : {}),
    ...(lastDeploy ? { lastDeploy } : {}),
    awaiting,
    canRollBack: rollbackTo !== undefined,
    ...(rollbackTo ? { rollbackTo } : {}),
    ...('refused' in offer ? {} : { promotion: offer }),
  };
}

/** Every stage of `project`, in config order. */
export function projectStages(config: Config, store: Store, project: string): StageView[] {
  return Object.keys(config.projects[project]!.stages).map((stage) =>
    stageView(config, store, project, stage),
  );
}
