import { stageDomain } from '../../src/config/domains.js';
import type { DeployRecord, LiveVersion } from '../../src/core/deploy-types.js';
import type { Store } from '../../src/store/store.js';
import type { Config } from '../../src/config/schema.js';
import type { CertificateStatus } from '../../src/proxy/router.js';

/** What the dashboard shows of one stage. */
export interface StageView {
  project: string;
  stage: string;
  tagPattern: string;
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
  const succeeded = store.listDeploys({ project, stage, status: ['succeeded'], limit: 3 });
  const liveUrl = live ? store.getDeploy(live.deployId)?.url : undefined;
  const domain = stageDomain(config, project, stage);
  const certificate = certificateOf?.(domain);
  return {
    project,
    stage,
    tagPattern: stageConfig.tag_pattern,
    domain,
    ...(certificate ? { certificate } : {}),
    ...(live ? { live } : {}),
    ...(liveUrl ? { liveUrl } : {}),
    ...(lastDeploy ? { lastDeploy } : {}),
    awaiting,
    // A teardown is recorded as a succeeded run but is no version to go back to.
    canRollBack: succeeded.some(
      (record) => record.id !== live?.deployId && record.intent.trigger !== 'teardown',
    ),
  };
}

/** Every stage of `project`, in config order. */
export function projectStages(config: Config, store: Store, project: string): StageView[] {
  return Object.keys(config.projects[project]!.stages).map((stage) =>
    stageView(config, store, project, stage),
  );
}
