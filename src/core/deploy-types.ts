/**
 * The deploy domain shared by the engine, the store, the HTTP API, the action and the dashboard.
 * Plain serialisable data only: records are persisted as they are and sent over the API.
 */

/** Where a deploy request came from (the CI run, the forge, the person). */
export interface DeploySource {
  forge: 'github' | 'gitea';
  serverUrl: string;
  repository: string;
  sha: string;
  ref?: string;
  pr?: number;
  runUrl?: string;
  actor?: string;
}

/** What is asked for: one version of a project's image on one stage. */
export interface DeployIntent {
  project: string;
  stage: string;
  /** Image repository without tag, always the project's configured image. */
  image: string;
  tag: string;
  /** sha256:... when known; pinned and pulled by digest. */
  digest?: string;
  trigger: Exclude<DeployTrigger, 'teardown'>;
  source?: DeploySource;
  requestedBy?: string;
  /** Set on rollbacks: the earlier deploy whose version is being restored. */
  rollbackOf?: string;
}

/** `teardown`: not a deploy but the removal of a stage, recorded in the same history. */
export type DeployTrigger =
  'ci' | 'manual' | 'poll' | 'webhook' | 'comment' | 'rollback' | 'promote' | 'teardown';

/**
 * What a teardown record asks for: the removal of a stage. `image`, `tag` and `digest` name the
 * version that was live when it was asked for, and are absent when nothing was live.
 */
export interface TeardownIntent {
  project: string;
  stage: string;
  trigger: 'teardown';
  image?: string;
  tag?: string;
  digest?: string;
  requestedBy?: string;
  /** Never set: a teardown has no CI source and restores no earlier deploy. */
  source?: never;
  rollbackOf?: never;
}

/** What a history entry is: a deploy of a version (rollbacks and promotions too), or a teardown. */
export type DeployKind = 'deploy' | 'teardown';

/**
 * How a domain was routed before a switch, so that a failure (or a crash) after it can put the
 * route back. `state` belongs to the router that made the snapshot (NPM: the proxy host as it
 * was); no `state`: the domain had no route.
 */
export interface RouteSnapshot {
  domain: string;
  state?: unknown;
}

export type DeployStatus =
  | 'awaiting_approval'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'superseded'
  | 'interrupted'
  | 'cancelled';

/** Statuses after which nothing more happens to a deploy. */
export const FINAL_STATUSES: readonly DeployStatus[] = [
  'succeeded',
  'failed',
  'superseded',
  'interrupted',
  'cancelled',
];

/** The phases of a blue-green swap, in order (kamal-proxy's Deployer order). */
export const PHASES = [
  'resolve',
  'pull',
  'create',
  'start',
  'health',
  'switch',
  'persist',
  'drain',
  'stop_old',
] as const;
export type Phase = (typeof PHASES)[number] | 'rollback' | 'teardown';

export interface PhaseTiming {
  phase: Phase;
  startedAt: string;
  finishedAt?: string;
  ok?: boolean;
}

export interface DeployFailure {
  phase: Phase;
  message: string;
  /** Last log lines of the new container, when it got that far. */
  containerLogs?: string[];
  /** The cause in a few words, when known (`HTTP 404 on /health (12s)`); `message` has the whole story. */
  summary?: string;
}

interface DeployRecordBase {
  id: string;
  project: string;
  stage: string;
  status: DeployStatus;
  /** The domain the stage is served on (known at creation; an orphan's from its history). */
  domain?: string;
  /**
   * 1, or 2 when the deploy was cut off by a restart of docker-watcher before its switch, undone,
   * and run again (once; its phases and events show both attempts).
   */
  attempt: number;
  /** The image reference that was run (repo@digest when the digest is known). */
  imageRef?: string;
  digest?: string;
  containerId?: string;
  containerName?: string;
  /** The container that was live before this deploy (what a failure falls back to). */
  previousContainerId?: string;
  /** The route before the switch, so a crash after it can be undone. */
  routeBefore?: RouteSnapshot;
  url?: string;
  /** How the version was replaced (the stage's strategy when the deploy ran). */
  strategy?: 'blue-green' | 'recreate';
  /** recreate: how long the site was down, from the stop of the old container to the new one serving. */
  downtimeMs?: number;
  phases: PhaseTiming[];
  error?: DeployFailure;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  approvedBy?: string;
}

/** A deploy of a version (also a rollback or a promotion). */
export interface VersionDeployRecord extends DeployRecordBase {
  kind: 'deploy';
  intent: DeployIntent;
}

/** The removal of a stage, recorded in the same history. */
export interface TeardownRecord extends DeployRecordBase {
  kind: 'teardown';
  intent: TeardownIntent;
}

/** One entry of the deploy history. */
export type DeployRecord = VersionDeployRecord | TeardownRecord;

/** What a teardown record shows as its version when nothing was live (the history's old wording). */
export const NOTHING_LIVE = 'none';

export type DeployEventType = 'status' | 'phase' | 'log';

/** One line of a deploy's live log; `seq` orders events within a deploy from 1. */
export interface DeployEvent {
  deployId: string;
  seq: number;
  at: string;
  type: DeployEventType;
  level: 'info' | 'warn' | 'error';
  message: string;
  phase?: Phase;
  status?: DeployStatus;
}

/** The version a stage serves now. */
export interface LiveVersion {
  project: string;
  stage: string;
  deployId: string;
  tag: string;
  image: string;
  digest?: string;
  imageRef: string;
  containerId: string;
  containerName: string;
  since: string;
}
