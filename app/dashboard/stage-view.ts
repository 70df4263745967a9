import { stageDomain } from '../../src/config/domains.js';
import type { DeployRecord, LiveVersion } from '../../src/core/deploy-types.js';
import type { Store } from '../../src/store/store.js';
import type { Config } from '../../src/config/schema.js';

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
}

/** Reads a stage's live version, last deploy and waiting approvals from the store. */
export function stageView(config: Config, store: Store, project: string, stage: string): StageView {
  const stageConfig = config.projects[project]!.stages[stage]!;
  const live = store.getLive(project, stage);
  const lastDeploy = store.listDeploys({ project, stage, limit: 1 })[0];
  const awaiting = store.listDeploys({ project, stage, status: ['awaiting_approval'], limit: 20 });
  const succeeded = store.listDeploys({ project, stage, status: ['succeeded'], limit: 3 });
  const liveUrl = live ? store.getDeploy(live.deployId)?.url : undefined;
  return {
    project,
    stage,
    tagPattern: stageConfig.tag_pattern,
    domain: stageDomain(config, project, stage),
    ...(live ? { live } : {}),
    ...(liveUrl ? { liveUrl } : {}),
    ...(lastDeploy ? { lastDeploy } : {}),
    awaiting,
    // A teardown is recorded as a succeeded run but is no version to go back to.
    canRollBack: succeeded.some((record) => record.id !== live?.deployId && record.kind !== 'teardown'),
  };
}

/** Every stage of `project`, in config order. */
export function projectStages(config: Config, store: Store, project: string): StageView[] {
  return Object.keys(config.projects[project]!.stages).map((stage) =>
    stageView(config, store, project, stage),
  );
}
