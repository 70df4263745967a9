import { isRepositoryName, REPOSITORY_EXPECTED } from '../core/repository-name.js';

/**
 * What docker-watcher needs from a forge (GitHub or Gitea). One adapter each: GitHub through
 * Octokit, Gitea through undici. Errors are ExternalError('forge', ...) naming the repository and
 * the call; a token never appears in them.
 */

export type ForgeKind = 'github' | 'gitea';

/** A repository on a forge, `owner/name`. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** The only states both forges accept for commit statuses. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: CommitState;
  /** e.g. docker-watcher/dev */
  context: string;
  /** Cut to 140 characters by the adapter. */
  description: string;
  targetUrl?: string;
}

export type Permission = 'admin' | 'write' | 'read' | 'none';

export type Reaction = '+1' | '-1' | 'eyes' | 'rocket' | 'confused' | 'hooray';

export interface PullRequestInfo {
  number: number;
  headSha: string;
  author: string;
  state: 'open' | 'closed';
  /** The PR's head is in another repository (a fork); undefined when the forge did not say. */
  fork?: boolean;
}

export type DeploymentState = 'pending' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** A check run's state on GitHub; `conclusion` only once completed. */
export interface CheckRunInput {
  /** e.g. docker-watcher/dev */
  name: string;
  headSha: string;
  /** The deploy id, so a button's webhook finds its deploy. */
  externalId: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion?: 'success' | 'failure' | 'cancelled' | 'neutral';
  startedAt?: string;
  completedAt?: string;
  detailsUrl?: string;
  title: string;
  summary: string;
  text?: string;
  /** requested_action buttons (GitHub shows at most 3). */
  actions: { label: string; description: string; identifier: string }[];
}

export interface ForgeClient {
  readonly kind: ForgeKind;
  setCommitStatus(repo: RepoRef, sha: string, status: CommitStatus, signal?: AbortSignal): Promise<void>;
  /**
   * Creates the PR comment that contains `marker` (an HTML comment), or edits the one that
   * already does: docker-watcher keeps exactly one comment per PR up to date.
   */
  upsertMarkedComment(
    repo: RepoRef,
    pr: number,
    marker: string,
    body: string,
    signal?: AbortSignal,
  ): Promise<number>;
  /** A plain reply on a PR (command answers). */
  createComment(repo: RepoRef, pr: number, body: string, signal?: AbortSignal): Promise<number>;
  addReaction(repo: RepoRef, commentId: number, reaction: Reaction, signal?: AbortSignal): Promise<void>;
  /** A user's permission on the repository; throws ExternalError when the forge refuses to say. */
  userPermission(repo: RepoRef, username: string, signal?: AbortSignal): Promise<Permission>;
  getPullRequest(repo: RepoRef, pr: number, signal?: AbortSignal): Promise<PullRequestInfo>;
  /** GitHub only (Gitea has no deployments API): creates a Deployment for the environment = stage. */
  createDeployment?(
    repo: RepoRef,
    input: { ref: string; environment: string; description: string; transient?: boolean },
    signal?: AbortSignal,
  ): Promise<number>;
  /**
   * GitHub App only (check runs need the checks permission a personal token cannot have):
   * creates the check run, or updates `checkRunId`; answers its id.
   */
  upsertCheckRun?(
    repo: RepoRef,
    checkRunId: number | undefined,
    input: CheckRunInput,
    signal?: AbortSignal,
  ): Promise<number>;
  createDeploymentStatus?(
    repo: RepoRef,
    deploymentId: number,
    input: { state: DeploymentState; environmentUrl?: string; logUrl?: string; description?: string },
    signal?: AbortSignal,
  ): Promise<void>;
}

/** Parses `owner/name`. */
export function parseRepo(fullName: string): RepoRef {
  const [owner, repo] = fullName.split('/');
  if (!isRepositoryName(fullName) || !owner || !repo)
    throw new Error(`repository "${fullName}" is not of the form ${REPOSITORY_EXPECTED}`);
  return { owner, repo };
}
