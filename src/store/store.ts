import type {
  DeployEvent,
  DeployIntent,
  DeployRecord,
  DeployStatus,
  LiveVersion,
  Phase,
  TeardownIntent,
} from '../core/deploy-types.js';

/**
 * A report waiting to be sent to a forge. One per key: a newer report of the same key replaces
 * it (its `version` grows), so only the latest state is sent.
 */
export interface OutboxEntry {
  key: string;
  version: number;
  /** The report, as JSON. */
  job: string;
  queuedAt: string;
  /** Failed tries since it was (re)placed. */
  attempts: number;
  nextTryAt: string;
  lastError?: string;
}

/**
 * What a claim is for: `delivery`, a signed request's or a forge webhook's delivery id (used
 * once); `comment`, a command comment (run once); `logged-out-session`, a dashboard session id.
 */
export type ClaimScope = 'delivery' | 'comment' | 'logged-out-session';

export interface DeployQuery {
  project?: string;
  stage?: string;
  status?: DeployStatus[];
  limit?: number;
}

/** What a list of deploys needs to choose one (the rollback target): read without phases or intent. */
export type DeployHead = Pick<DeployRecord, 'id' | 'kind' | 'status' | 'imageRef' | 'createdAt'>;

/** Fields of a deploy that the engine changes as it goes (the status only through transitionDeploy). */
export type DeployPatch = Partial<
  Pick<
    DeployRecord,
    | 'imageRef'
    | 'digest'
    | 'containerId'
    | 'containerName'
    | 'previousContainerId'
    | 'routeBefore'
    | 'url'
    | 'strategy'
    | 'downtimeMs'
    | 'error'
    | 'startedAt'
    | 'finishedAt'
    | 'approvedBy'
    | 'attempt'
  >
>;

/** A preview environment of a pull request (src/previews/): the stage `pr-<n>` of a project. */
export interface PreviewRecord {
  project: string;
  pr: number;
  stage: string;
  /** owner/name on the forge, when the request said. */
  repository?: string;
  forge?: string;
  domain: string;
  createdAt: string;
  lastDeployAt: string;
  /** `removing` from the moment its teardown is queued until it is done. */
  state: 'live' | 'removing' | 'removed';
  removedAt?: string;
  removedReason?: string;
}

/** A new history entry: a deploy of a version, or a teardown. */
export type NewDeploy = {
  id: string;
  status: DeployStatus;
  createdAt: string;
  domain?: string;
} & ({ kind: 'deploy'; intent: DeployIntent } | { kind: 'teardown'; intent: TeardownIntent });

/**
 * Deploy history and state. The SQLite adapter implements it (with migrations); tests may use
 * an in-memory database through the same adapter. All methods are synchronous: node:sqlite is,
 * and the engine must write a phase's intent before the side effect, with nothing in between.
 */
export interface Store {
  createDeploy(input: NewDeploy): DeployRecord;
  getDeploy(id: string): DeployRecord | undefined;
  updateDeploy(id: string, patch: DeployPatch): DeployRecord;
  /**
   * Sets the status to `to` (with `patch`) only while it is `from`, in one statement; returns
   * the record, or undefined when the status was no longer `from`. The deploy lifecycle
   * (src/deploy/lifecycle.ts) is its one caller: it checks the transition is allowed.
   */
  transitionDeploy(
    id: string,
    from: DeployStatus,
    to: DeployStatus,
    patch?: DeployPatch,
  ): DeployRecord | undefined;
  /** Newest first. */
  listDeploys(query?: DeployQuery): DeployRecord[];
  /** The same deploys as listDeploys, newest first, with only what tells them apart (cheap at scale). */
  listDeployHeads(query?: DeployQuery): DeployHead[];
  /** Records that a phase is about to run (before its side effect). */
  beginPhase(deployId: string, phase: Phase, at: string): void;
  endPhase(deployId: string, phase: Phase, ok: boolean, at: string): void;

  /** Appends an event and returns it with its seq (1, 2, ... per deploy). */
  appendEvent(event: Omit<DeployEvent, 'seq'>): DeployEvent;
  listEvents(deployId: string, afterSeq?: number): DeployEvent[];

  getLive(project: string, stage: string): LiveVersion | undefined;
  setLive(live: LiveVersion): void;
  clearLive(project: string, stage: string): void;
  listLive(): LiveVersion[];

  /**
   * Claims `key` of `scope` for `ttlMs` from `now`: true the first time, false while an earlier
   * claim holds (a replayed delivery, a comment delivered again, a session already logged out).
   * One statement, so two requests racing for the same key cannot both win. `value` is kept
   * with the claim (which deploy a delivery started).
   */
  claimOnce(scope: ClaimScope, key: string, ttlMs: number, now: Date, value?: string): boolean;
  /** The value of a claim that still holds ('' when it was claimed without one), else undefined. */
  claimed(scope: ClaimScope, key: string, now: Date): string | undefined;
  /** Sets the value of a claim (it keeps its expiry). */
  setClaimValue(scope: ClaimScope, key: string, value: string): void;
  /** Removes claims that have expired; returns how many went. */
  pruneClaims(now: Date): number;

  /**
   * Small key/value state for adapters (poller cursors, NPM host ownership, ...). A value with
   * `expiresAt` (ISO time) is a record that is only needed for a while; pruneState removes it.
   */
  getState(key: string): string | undefined;
  setState(key: string, value: string, options?: { expiresAt?: string }): void;
  /** Removes state whose expiresAt is before `now`; returns how many rows went. */
  pruneState(now: string): number;

  /**
   * The forge report outbox. putReport replaces the key's entry (latest wins) and returns its
   * new version; the sender removes or reschedules only the version it tried, so a report put
   * while an older one was in flight is never lost.
   */
  putReport(key: string, job: string, at: string): number;
  getReport(key: string): OutboxEntry | undefined;
  /** Every waiting report, in the order its key was first queued. */
  listReports(): OutboxEntry[];
  /** Counts a failed try of `version` and sets when to try again; false when a newer version replaced it. */
  reportFailed(key: string, version: number, error: string, nextTryAt: string): boolean;
  /** Removes `version` of the key's report (sent, or given up); false when a newer version replaced it. */
  removeReport(key: string, version: number): boolean;

  /** Creates or updates a preview (keyed by project and PR); a removed one comes back to life. */
  putPreview(preview: PreviewRecord): void;
  getPreview(project: string, pr: number): PreviewRecord | undefined;
  /** Previews in these states (default: not removed), least recently deployed first. */
  listPreviews(query?: { project?: string; states?: PreviewRecord['state'][] }): PreviewRecord[];

  close(): void;
}
