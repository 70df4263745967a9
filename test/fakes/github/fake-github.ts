import { resolve } from 'node:path';
import { loadForgeSpec, type ForgeSpec } from '../forge-api-spec.js';
import { ForgeHttpError, startForgeHttp } from '../fake-forge-http.js';
import { FakeForgeState, type FakeComment } from '../fake-forge-state.js';
import { fakeGitHubApp, type FakeAppOptions } from './fake-github-app.js';

export const GITHUB_SPEC_FILE = resolve(
  import.meta.dirname,
  '../../../node_modules/@octokit/openapi/generated/api.github.com.json',
);
const DOCS = 'https://docs.github.com/rest';
let sharedSpec: ForgeSpec | undefined;

/**
 * A fake api.github.com on 127.0.0.1: every request is checked against @octokit/openapi and
 * answered as GitHub does (201s, Link pagination, 401 Bad credentials, 404 Not Found, 422
 * Validation Failed with `errors`). State and controls: `state`, `setDown`, `failNext`.
 */
export async function startFakeGitHub(options: { token?: string; app?: FakeAppOptions } = {}) {
  const spec = (sharedSpec ??= loadForgeSpec(GITHUB_SPEC_FILE));
  const token = options.token ?? 'ghp_fake_test_token';
  const state = new FakeForgeState();
  // With `app`, the fake is also a GitHub App's GitHub: JWTs, installation tokens, check runs.
  const app = options.app === undefined ? undefined : fakeGitHubApp(options.app);
  const checkRuns = new Map<number, FakeCheckRun>();
  const user = (login: string) => ({ login, id: login.length, type: 'User', site_admin: false });
  const notFound = () => new ForgeHttpError(404, 'Not Found');
  const commentJson = (c: FakeComment, base: string) => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${base}/repos/${c.repo}/issues/comments/${c.id}`,
    html_url: `https://github.com/${c.repo}/pull/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${base}/repos/${c.repo}/issues/${c.issue}`,
    body: c.body,
    user: user(c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: 'NONE',
  });

  const http = await startForgeHttp({
    spec,
    invalidStatus: 422,
    authorize(req, op) {
      if (app?.authorize(req, op)) return;
      const [scheme, value] = (req.headers.authorization ?? '').split(' ');
      if (!/^(token|bearer)$/i.test(scheme ?? '') || value !== token)
        throw new ForgeHttpError(401, 'Bad credentials');
    },
    errorBody: (error) => ({
      message: error.status === 422 ? 'Validation Failed' : error.message,
      ...(error.status === 422
        ? { errors: [{ resource: 'Request', code: 'invalid', message: error.message }] }
        : {}),
      documentation_url: DOCS,
      status: String(error.status),
      ...error.extra,
    }),
    handle(op, body, query, base) {
      const p = op.params;
      const repo = `${p.owner}/${p.repo}`;
      const data = (body ?? {}) as Record<string, unknown>;
      const now = new Date().toISOString();
      const pullOf = (n: string | undefined) =>
        state.pull(repo, Number(n)) ??
        (() => {
          throw notFound();
        })();
      const fromApp = app?.handle(op, base);
      if (fromApp) return fromApp;
      switch (op.operationId) {
        case 'checks/create':
        case 'checks/update': {
          const known = p.check_run_id === undefined ? undefined : checkRuns.get(Number(p.check_run_id));
          if (op.operationId === 'checks/update' && (!known || known.repo !== repo)) throw notFound();
          const run: FakeCheckRun = known ?? {
            id: state.nextId(),
            repo,
            headSha: String(data.head_sha),
            name: String(data.name),
            updates: [],
          };
          checkRuns.set(run.id, run);
          run.updates.push(data);
          const latest = Object.assign({}, ...run.updates) as Record<string, unknown>;
          return {
            status: known ? 200 : 201,
            body: {
              id: run.id,
              head_sha: run.headSha,
              node_id: `CR_${run.id}`,
              external_id: latest.external_id ?? null,
              url: `${base}/repos/${repo}/check-runs/${run.id}`,
              html_url: `https://github.com/${repo}/runs/${run.id}`,
              details_url: latest.details_url ?? null,
              status: latest.status ?? 'queued',
              conclusion: latest.conclusion ?? null,
              started_at: latest.started_at ?? now,
              completed_at: latest.completed_at ?? null,
              output: latest.output ?? { title: null, summary: null, text: null, annotations_count: 0 },
              name: latest.name ?? run.name,
              check_suite: { id: run.id + 1 },
              app: { id: options.app?.appId ?? 1, slug: 'docker-watcher', name: 'docker-watcher' },
              pull_requests: [],
            },
          };
        }
        case 'repos/create-commit-status': {
          const status = {
            id: state.nextId(),
            repo,
            sha: p.sha!,
            state: String(data.state),
            context: typeof data.context === 'string' ? data.context : 'default',
            description: (data.description as string | null | undefined) ?? null,
            targetUrl: (data.target_url as string | null | undefined) ?? null,
            createdAt: now,
          };
          state.statuses.push(status);
          const { targetUrl, createdAt, repo: _r, sha: _s, ...rest } = status;
          return {
            status: 201,
            body: {
              ...rest,
              url: `${base}/repos/${repo}/statuses/${p.sha}`,
              target_url: targetUrl,
              created_at: createdAt,
              updated_at: createdAt,
              creator: user(state.botUser),
            },
          };
        }
        case 'issues/list-comments': {
          pullOf(p.issue_number);
          const all = state.commentsOn(repo, Number(p.issue_number));
          const perPage = Math.min(Number(query.get('per_page') ?? 30), 100);
          const page = Number(query.get('page') ?? 1);
          const last = Math.max(1, Math.ceil(all.length / perPage));
          const link = (n: number, rel: string) =>
            `<${base}/repos/${repo}/issues/${p.issue_number}/comments?per_page=${perPage}&page=${n}>; rel="${rel}"`;
          const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : [];
          return {
            status: 200,
            body: all.slice((page - 1) * perPage, page * perPage).map((c) => commentJson(c, base)),
            headers: links.length ? { link: links.join(', ') } : {},
          };
        }
        case 'issues/create-comment': {
          pullOf(p.issue_number);
          const comment = state.addComment(repo, Number(p.issue_number), String(data.body), state.botUser);
          return { status: 201, body: commentJson(comment, base) };
        }
        case 'issues/update-comment': {
          const comment = state.editComment(repo, Number(p.comment_id), String(data.body), now);
          if (!comment) throw notFound();
          return { status: 200, body: commentJson(comment, base) };
        }
        case 'reactions/create-for-issue-comment': {
          const reacted = state.react(repo, Number(p.comment_id), String(data.content));
          if (!reacted) throw notFound();
          return {
            status: reacted.created ? 201 : 200,
            body: {
              id: state.nextId(),
              node_id: 'R',
              user: user(state.botUser),
              content: data.content,
              created_at: now,
            },
          };
        }
        case 'repos/get-collaborator-permission-level': {
          const role = state.permission(repo, p.username!);
          if (role === undefined) throw notFound();
          const legacy = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
          return {
            status: 200,
            body: { permission: legacy, role_name: role, user: { ...user(p.username!), permissions: {} } },
          };
        }
        case 'pulls/get': {
          const pull = pullOf(p.pull_number);
          return {
            status: 200,
            body: {
              id: pull.number + 5000,
              number: pull.number,
              state: pull.state,
              user: user(pull.author),
              head: { sha: pull.headSha, ref: 'feature', label: 'feature' },
              base: { sha: '0'.repeat(40), ref: 'main', label: 'main' },
              html_url: `https://github.com/${repo}/pull/${pull.number}`,
            },
          };
        }
        case 'repos/create-deployment': {
          const deployment = {
            id: state.nextId(),
            repo,
            ref: String(data.ref),
            environment: typeof data.environment === 'string' ? data.environment : 'production',
            description: (data.description as string | undefined) ?? null,
            ...(data.transient_environment === true ? { transient: true } : {}),
            statuses: [],
          };
          state.deployments.set(deployment.id, deployment);
          const { statuses: _s, repo: _r, transient: _t, ...rest } = deployment;
          return {
            status: 201,
            body: {
              ...rest,
              url: `${base}/repos/${repo}/deployments/${deployment.id}`,
              sha: deployment.ref,
              task: 'deploy',
              creator: user(state.botUser),
              created_at: now,
              updated_at: now,
            },
          };
        }
        case 'repos/create-deployment-status': {
          const deployment = state.deployments.get(Number(p.deployment_id));
          if (!deployment || deployment.repo !== repo) throw notFound();
          const entry = {
            state: String(data.state),
            ...(typeof data.environment_url === 'string' ? { environmentUrl: data.environment_url } : {}),
            ...(typeof data.log_url === 'string' ? { logUrl: data.log_url } : {}),
            ...(typeof data.description === 'string' ? { description: data.description } : {}),
          };
          deployment.statuses.push(entry);
          return {
            status: 201,
            body: {
              id: state.nextId(),
              state: entry.state,
              environment_url: entry.environmentUrl ?? '',
              log_url: entry.logUrl ?? '',
              description: entry.description ?? '',
              created_at: now,
              updated_at: now,
            },
          };
        }
        default:
          throw new ForgeHttpError(404, `the fake GitHub does not implement ${op.operationId}`);
      }
    },
  });
  return { ...http, token, state, apiUrl: http.url, app, checkRuns };
}

/** A check run as the fake keeps it: every create/update body, in order. */
export interface FakeCheckRun {
  id: number;
  repo: string;
  headSha: string;
  name: string;
  updates: Record<string, unknown>[];
}

export type FakeGitHub = Awaited<ReturnType<typeof startFakeGitHub>>;
