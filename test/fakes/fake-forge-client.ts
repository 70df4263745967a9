import { ExternalError } from '../../src/core/errors.js';
import { forgeError } from '../../src/forge/forge-common.js';
import { GITEA_PERMISSION_REFUSED } from '../../src/forge/gitea-client.js';
import type {
  CommitStatus,
  ForgeClient,
  ForgeKind,
  Permission,
  PullRequestInfo,
  Reaction,
  RepoRef,
} from '../../src/forge/forge.js';

/** One call the fake received, in order. */
export type ForgeCall =
  | { method: 'setCommitStatus'; repo: RepoRef; sha: string; status: CommitStatus }
  | { method: 'upsertMarkedComment'; repo: RepoRef; pr: number; marker: string; body: string }
  | { method: 'createComment'; repo: RepoRef; pr: number; body: string }
  | { method: 'addReaction'; repo: RepoRef; commentId: number; reaction: Reaction }
  | { method: 'userPermission'; repo: RepoRef; username: string }
  | { method: 'getPullRequest'; repo: RepoRef; pr: number };

/**
 * An in-memory ForgeClient that records every call. Permissions and PRs are set by the test; a
 * user without a permission entry makes userPermission throw, as a forge that refuses would.
 */
export class FakeForgeClient implements ForgeClient {
  readonly calls: ForgeCall[] = [];
  readonly permissions = new Map<string, Permission | Error>();
  readonly pullRequests = new Map<number, PullRequestInfo>();
  #nextId = 1000;

  constructor(readonly kind: ForgeKind = 'github') {}

  /** Bodies of the reply comments, in order. */
  get replies(): string[] {
    return this.calls.flatMap((call) => (call.method === 'createComment' ? [call.body] : []));
  }

  setCommitStatus(repo: RepoRef, sha: string, status: CommitStatus): Promise<void> {
    this.calls.push({ method: 'setCommitStatus', repo, sha, status });
    return Promise.resolve();
  }

  upsertMarkedComment(repo: RepoRef, pr: number, marker: string, body: string): Promise<number> {
    this.calls.push({ method: 'upsertMarkedComment', repo, pr, marker, body });
    return Promise.resolve(this.#nextId++);
  }

  createComment(repo: RepoRef, pr: number, body: string): Promise<number> {
    this.calls.push({ method: 'createComment', repo, pr, body });
    return Promise.resolve(this.#nextId++);
  }

  addReaction(repo: RepoRef, commentId: number, reaction: Reaction): Promise<void> {
    this.calls.push({ method: 'addReaction', repo, commentId, reaction });
    return Promise.resolve();
  }

  userPermission(repo: RepoRef, username: string): Promise<Permission> {
    this.calls.push({ method: 'userPermission', repo, username });
    const permission = this.permissions.get(username.toLowerCase());
    if (permission instanceof Error) return Promise.reject(permission);
    if (permission === undefined) {
      // As the adapters refuse: Gitea's explains the admin-token need (GitHub never refuses a collaborator check).
      const message =
        this.kind === 'gitea' ? GITEA_PERMISSION_REFUSED : 'Resource not accessible by integration';
      const forge = this.kind === 'gitea' ? 'Gitea' : 'GitHub';
      return Promise.reject(forgeError(forge, `permission of ${username}`, repo, { status: 403, message }));
    }
    return Promise.resolve(permission);
  }

  getPullRequest(repo: RepoRef, pr: number): Promise<PullRequestInfo> {
    this.calls.push({ method: 'getPullRequest', repo, pr });
    const info = this.pullRequests.get(pr);
    if (!info)
      return Promise.reject(
        new ExternalError('forge', `no PR #${pr} in ${repo.owner}/${repo.repo}`, { status: 404 }),
      );
    return Promise.resolve(info);
  }
}
