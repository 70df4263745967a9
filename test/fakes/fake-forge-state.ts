/** What the fake forges remember; both fakes keep the same state and differ in their HTTP shapes. */

export interface FakeCommitStatus {
  id: number;
  repo: string;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

export interface FakeComment {
  id: number;
  repo: string;
  issue: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakePullRequest {
  repo: string;
  number: number;
  headSha: string;
  author: string;
  state: 'open' | 'closed';
}

export interface FakeDeployment {
  id: number;
  repo: string;
  ref: string;
  environment: string;
  description: string | null;
  /** transient_environment as sent (previews). */
  transient?: boolean;
  statuses: { state: string; environmentUrl?: string; logUrl?: string; description?: string }[];
}

export class FakeForgeState {
  readonly statuses: FakeCommitStatus[] = [];
  readonly comments = new Map<number, FakeComment>();
  readonly reactions: { repo: string; commentId: number; content: string; user: string }[] = [];
  readonly pulls = new Map<string, FakePullRequest>();
  readonly permissions = new Map<string, string>();
  readonly deployments = new Map<number, FakeDeployment>();
  #nextId = 1000;

  constructor(
    /** The login of the token's user (author of what the client creates). */
    readonly botUser = 'docker-watcher-bot',
  ) {}

  nextId(): number {
    return this.#nextId++;
  }

  addPullRequest(pull: Omit<FakePullRequest, 'state'> & { state?: 'open' | 'closed' }): void {
    this.pulls.set(`${pull.repo}#${pull.number}`, { state: 'open', ...pull });
  }

  pull(repo: string, number: number): FakePullRequest | undefined {
    return this.pulls.get(`${repo}#${number}`);
  }

  /** A user's role on a repository as the forge names it (admin, maintain, write, triage, read, owner). */
  setPermission(repo: string, user: string, role: string): void {
    this.permissions.set(`${repo}:${user}`, role);
  }

  permission(repo: string, user: string): string | undefined {
    return this.permissions.get(`${repo}:${user}`);
  }

  /** Adds a comment as a person would (not through the client under test). */
  addComment(repo: string, issue: number, body: string, user = 'someone'): FakeComment {
    const at = new Date().toISOString();
    const comment = { id: this.nextId(), repo, issue, body, user, createdAt: at, updatedAt: at };
    this.comments.set(comment.id, comment);
    return comment;
  }

  /** A comment of `repo`, or undefined (the forge answers 404 in its own shape). */
  commentIn(repo: string, id: number): FakeComment | undefined {
    const comment = this.comments.get(id);
    return comment?.repo === repo ? comment : undefined;
  }

  /** Edits a comment of `repo`; undefined when there is none. */
  editComment(repo: string, id: number, body: string, at: string): FakeComment | undefined {
    const comment = this.commentIn(repo, id);
    if (comment) Object.assign(comment, { body, updatedAt: at });
    return comment;
  }

  /**
   * The bot reacts to a comment of `repo`, once per content as both forges do; `created` is
   * false when the reaction was there already. Undefined when there is no such comment.
   */
  react(
    repo: string,
    commentId: number,
    content: string,
  ): { comment: FakeComment; created: boolean } | undefined {
    const comment = this.commentIn(repo, commentId);
    if (!comment) return undefined;
    const exists = this.reactions.some(
      (r) => r.commentId === comment.id && r.content === content && r.user === this.botUser,
    );
    if (!exists) this.reactions.push({ repo, commentId: comment.id, content, user: this.botUser });
    return { comment, created: !exists };
  }

  commentsOn(repo: string, issue: number): FakeComment[] {
    return [...this.comments.values()].filter((c) => c.repo === repo && c.issue === issue);
  }

  /** The newest status per context of a commit, as the forge shows them. */
  latestStatuses(repo: string, sha: string): Map<string, FakeCommitStatus> {
    const latest = new Map<string, FakeCommitStatus>();
    for (const status of this.statuses)
      if (status.repo === repo && status.sha === sha) latest.set(status.context, status);
    return latest;
  }
}
