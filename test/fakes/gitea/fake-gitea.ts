import { resolve } from 'node:path';
import { loadForgeSpec, type ForgeSpec } from '../forge-api-spec.js';
import { ForgeHttpError, startForgeHttp } from '../fake-forge-http.js';
import { FakeForgeState, type FakeComment } from '../fake-forge-state.js';

/** Gitea's swagger.v1.json (v1.26.3), vendored in test/fixtures/specs (see its README). */
export const GITEA_SPEC_FILE = resolve(import.meta.dirname, '../../fixtures/specs/gitea/swagger.v1.json');
let sharedSpec: ForgeSpec | undefined;

/**
 * A fake Gitea (API v1 under /api/v1) on 127.0.0.1: every request is checked against Gitea's
 * swagger.v1.json and answered with Gitea's shapes and its error body {message, url}.
 * `tokenIsRepoAdmin(false)` makes the permission endpoint answer 403, as Gitea does for a token
 * without admin rights on the repository.
 */
export async function startFakeGitea(options: { token?: string } = {}) {
  const spec = (sharedSpec ??= loadForgeSpec(GITEA_SPEC_FILE, '/api/v1'));
  const token = options.token ?? 'gitea-fake-test-token';
  const state = new FakeForgeState();
  let repoAdmin = true;
  const user = (login: string) => ({
    id: login.length,
    login,
    login_name: '',
    full_name: '',
    email: `${login}@example.com`,
  });
  const notFound = () => new ForgeHttpError(404, "The target couldn't be found.");
  const commentJson = (c: FakeComment, base: string) => ({
    id: c.id,
    html_url: `${base}/${c.repo}/pulls/${c.issue}#issuecomment-${c.id}`,
    pull_request_url: `${base}/${c.repo}/pulls/${c.issue}`,
    issue_url: '',
    body: c.body,
    user: user(c.user),
    original_author: '',
    original_author_id: 0,
    assets: [],
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  });

  const http = await startForgeHttp({
    spec,
    invalidStatus: 422,
    authorize(req) {
      const header = req.headers.authorization ?? '';
      if (header === '') throw new ForgeHttpError(401, 'token is required');
      if (header !== `token ${token}`) throw new ForgeHttpError(401, 'user does not exist');
    },
    errorBody: (error) => ({ message: error.message, url: 'https://gitea.example/api/swagger' }),
    handle(op, body, _query, base) {
      const p = op.params;
      const repo = `${p.owner}/${p.repo}`;
      const data = (body ?? {}) as Record<string, unknown>;
      const now = new Date().toISOString();
      const pullOf = (n: string | undefined) =>
        state.pull(repo, Number(n)) ??
        (() => {
          throw notFound();
        })();
      switch (op.operationId) {
        case 'repoCreateStatus': {
          const status = {
            id: state.nextId(),
            repo,
            sha: p.sha!,
            state: String(data.state),
            context: typeof data.context === 'string' ? data.context : '',
            description: typeof data.description === 'string' ? data.description : null,
            targetUrl: typeof data.target_url === 'string' ? data.target_url : null,
            createdAt: now,
          };
          state.statuses.push(status);
          return {
            status: 201,
            body: {
              id: status.id,
              status: status.state,
              context: status.context,
              description: status.description ?? '',
              target_url: status.targetUrl ?? '',
              url: `${base}/api/v1/repos/${repo}/statuses/${p.sha}`,
              created_at: now,
              updated_at: now,
              creator: user(state.botUser),
            },
          };
        }
        case 'issueGetComments':
          pullOf(p.index);
          return {
            status: 200,
            body: state.commentsOn(repo, Number(p.index)).map((c) => commentJson(c, base)),
          };
        case 'issueCreateComment': {
          pullOf(p.index);
          return {
            status: 201,
            body: commentJson(
              state.addComment(repo, Number(p.index), String(data.body), state.botUser),
              base,
            ),
          };
        }
        case 'issueEditComment': {
          const comment = state.editComment(repo, Number(p.id), String(data.body), now);
          if (!comment) throw notFound();
          return { status: 200, body: commentJson(comment, base) };
        }
        case 'issuePostCommentReaction': {
          const reacted = state.react(repo, Number(p.id), String(data.content));
          if (!reacted) throw notFound();
          return {
            status: reacted.created ? 201 : 200,
            body: { user: user(state.botUser), content: data.content, created_at: now },
          };
        }
        case 'repoGetRepoPermissions': {
          if (!repoAdmin)
            throw new ForgeHttpError(
              403,
              'Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own',
            );
          const role = state.permission(repo, p.collaborator!);
          if (role === undefined) throw notFound();
          return { status: 200, body: { permission: role, role_name: role, user: user(p.collaborator!) } };
        }
        case 'repoGetPullRequest': {
          const pull = pullOf(p.index);
          return {
            status: 200,
            body: {
              id: pull.number + 5000,
              number: pull.number,
              state: pull.state,
              user: user(pull.author),
              head: { sha: pull.headSha, ref: 'feature', label: 'feature' },
              base: { sha: '0'.repeat(40), ref: 'main', label: 'main' },
              html_url: `${base}/${repo}/pulls/${pull.number}`,
            },
          };
        }
        default:
          throw new ForgeHttpError(404, `the fake Gitea does not implement ${op.operationId}`);
      }
    },
  });
  return {
    ...http,
    token,
    state,
    apiUrl: `${http.url}/api/v1`,
    /** Whether the token's user is an admin of the repositories (Gitea answers 403 on permissions otherwise). */
    tokenIsRepoAdmin: (value: boolean) => void (repoAdmin = value),
  };
}

export type FakeGitea = Awaited<ReturnType<typeof startFakeGitea>>;
