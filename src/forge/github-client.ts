import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { forgeError, statusDescription, toPermission, withMarker } from './forge-common.js';
import type { CheckRunInput, ForgeClient, RepoRef } from './forge.js';

const ForgeOctokit = Octokit.plugin(throttling);

/** Statuses a retry cannot change (Octokit's plugin-retry list); others of 400 and up are tried again. */
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);
/** Tries after the first one for server errors and dropped connections. */
const SERVER_ERROR_RETRIES = 3;

export interface GitHubClientOptions {
  /** API base, e.g. https://api.github.com or https://ghe.example.com/api/v3 */
  baseUrl: string;
  /** A personal access token; or `authStrategy` and `auth` (a GitHub App installation). */
  token?: string;
  authStrategy?: unknown;
  auth?: unknown;
  /** Check runs (GitHub App only: a personal token cannot have the checks permission). */
  checkRuns?: boolean;
  /** Said after a 404 (the App client: which installation was asked). */
  notFoundHint?: string;
  logger: Logger;
  fetch?: typeof fetch;
  /** How often a rate-limited request is tried again before it fails (default 3). */
  rateLimitRetries?: number;
  /** Unit of the retry waits in ms (default 1000: 1 s, 4 s, 9 s after server errors); tests make it small. */
  retryBaseMs?: number;
  /**
   * GitHub asks integrations to space writes (1 s, 3 s for ones that notify people); on by
   * default. Tests against a local fake turn it off.
   */
  spaceWrites?: boolean;
}

type LimiterGroup = NonNullable<
  NonNullable<NonNullable<ConstructorParameters<typeof ForgeOctokit>[0]>['throttle']>['write']
>;

/** A limiter group that runs every job at once (when writes need no spacing). */
const unlimited = {
  key: () => ({
    schedule: (...args: unknown[]) => (args.find((a) => typeof a === 'function') as () => unknown)(),
  }),
} as unknown as LimiterGroup;

/**
 * The GitHub adapter: Octokit with rate-limit handling, and retries of server errors in the
 * style of Octokit's plugin-retry, but with waits that end when the call's signal aborts, so a
 * shutdown is not held up by a retry timer.
 */
export function createGitHubClient(options: GitHubClientOptions): ForgeClient {
  const { logger } = options;
  const maxRetries = options.rateLimitRetries ?? 3;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _o: unknown, count: number) => {
      const retrying = count < maxRetries;
      logger.warn(`GitHub ${kind} hit`, { method: request.method, url: request.url, retryAfter, retrying });
      return retrying;
    };
  const octokit = new ForgeOctokit({
    ...(options.authStrategy === undefined
      ? { auth: options.token }
      : { authStrategy: options.authStrategy as never, auth: options.auth }),
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'docker-watcher',
    request: options.fetch === undefined ? {} : { fetch: options.fetch },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn(`octokit: ${message}`),
      error: (message: string) => logger.error(`octokit: ${message}`),
    },
    throttle: {
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      ...(options.spaceWrites === false ? { write: unlimited, notifications: unlimited } : {}),
    },
  });

  const retryBaseMs = options.retryBaseMs ?? 1000;
  const call = async <T>(
    name: string,
    repo: RepoRef,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> => {
    for (let retry = 0; ; retry++) {
      try {
        return await run();
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        const retriable =
          typeof status === 'number' && status >= 400 && !DO_NOT_RETRY.has(status) && !signal?.aborted;
        if (retriable && retry < SERVER_ERROR_RETRIES) {
          // Octokit answers a dropped connection as status 500 too.
          await systemClock.sleep(retryBaseMs * (retry + 1) ** 2, signal);
          continue;
        }
        const response = (error as { response?: GitHubErrorResponse }).response;
        const message = response?.data?.message;
        const hint = errorHint(status, response, options.notFoundHint);
        throw forgeError('GitHub', name, repo, {
          ...(typeof status === 'number' && status > 0 ? { status } : {}),
          message: typeof message === 'string' ? message : errorMessage(error),
          cause: error,
          ...(hint === undefined ? {} : { hint }),
        });
      }
    }
  };
  const req = (signal: AbortSignal | undefined) => (signal === undefined ? {} : { request: { signal } });

  const checkRuns: Pick<ForgeClient, 'upsertCheckRun'> = options.checkRuns
    ? {
        upsertCheckRun: (repo, checkRunId, input, signal) =>
          call(`check run ${input.name}`, repo, signal, async () => {
            const body = checkRunBody(input);
            if (checkRunId !== undefined) {
              await octokit.rest.checks.update({
                ...repo,
                check_run_id: checkRunId,
                ...body,
                ...req(signal),
              });
              return checkRunId;
            }
            const created = await octokit.rest.checks.create({
              ...repo,
              head_sha: input.headSha,
              ...body,
              ...req(signal),
            });
            return created.data.id;
          }),
      }
    : {};

  return {
    kind: 'github',
    ...checkRuns,

    setCommitStatus: (repo, sha, status, signal) =>
      call('commit status', repo, signal, async () => {
        await octokit.rest.repos.createCommitStatus({
          ...repo,
          sha,
          state: status.state,
          context: status.context,
          description: statusDescription(status.description),
          ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
          ...req(signal),
        });
      }),

    upsertMarkedComment: (repo, pr, marker, body, signal) =>
      call('PR comment', repo, signal, async () => {
        const text = withMarker(marker, body);
        const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
          ...repo,
          issue_number: pr,
          per_page: 100,
          ...req(signal),
        });
        for await (const page of pages) {
          const existing = page.data.find((comment) => comment.body?.includes(marker));
          if (existing) {
            await octokit.rest.issues.updateComment({
              ...repo,
              comment_id: existing.id,
              body: text,
              ...req(signal),
            });
            return existing.id;
          }
        }
        const created = await octokit.rest.issues.createComment({
          ...repo,
          issue_number: pr,
          body: text,
          ...req(signal),
        });
        return created.data.id;
      }),

    createComment: (repo, pr, body, signal) =>
      call('PR comment', repo, signal, async () => {
        const created = await octokit.rest.issues.createComment({
          ...repo,
          issue_number: pr,
          body,
          ...req(signal),
        });
        return created.data.id;
      }),

    addReaction: (repo, commentId, reaction, signal) =>
      call('reaction', repo, signal, async () => {
        await octokit.rest.reactions.createForIssueComment({
          ...repo,
          comment_id: commentId,
          content: reaction,
          ...req(signal),
        });
      }),

    userPermission: (repo, username, signal) =>
      call(`permission of ${username}`, repo, signal, async () => {
        try {
          const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
            ...repo,
            username,
            ...req(signal),
          });
          // role_name tells maintain from write and triage from read; permission is the legacy level.
          const role = toPermission(data.role_name);
          return role === 'none' ? toPermission(data.permission) : role;
        } catch (error) {
          // GitHub answers 404 for a user that does not exist: no rights.
          if ((error as { status?: number }).status === 404) return 'none';
          throw error;
        }
      }),

    getPullRequest: (repo, pr, signal) =>
      call(`pull request #${pr}`, repo, signal, async () => {
        const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pr, ...req(signal) });
        return {
          number: data.number,
          headSha: data.head.sha,
          author: data.user.login,
          state: data.state === 'open' ? 'open' : 'closed',
          // head.repo is null when the fork was deleted: still a fork.
          ...(data.base.repo ? { fork: data.head.repo?.full_name !== data.base.repo.full_name } : {}),
        };
      }),

    createDeployment: (repo, input, signal) =>
      call(`deployment to ${input.environment}`, repo, signal, async () => {
        const response = await octokit.rest.repos.createDeployment({
          ...repo,
          ref: input.ref,
          environment: input.environment,
          description: statusDescription(input.description),
          auto_merge: false,
          ...(input.transient ? { transient_environment: true } : {}),
          // Our own pending commit status must not block the deployment.
          required_contexts: [],
          ...req(signal),
        });
        if (!('id' in response.data))
          throw new Error(`GitHub did not create the deployment: ${response.data.message ?? 'no id'}`);
        return response.data.id;
      }),

    createDeploymentStatus: (repo, deploymentId, input, signal) =>
      call(`deployment status of deployment ${deploymentId}`, repo, signal, async () => {
        await octokit.rest.repos.createDeploymentStatus({
          ...repo,
          deployment_id: deploymentId,
          state: input.state,
          ...(input.environmentUrl === undefined ? {} : { environment_url: input.environmentUrl }),
          ...(input.logUrl === undefined ? {} : { log_url: input.logUrl }),
          ...(input.description === undefined ? {} : { description: statusDescription(input.description) }),
          ...req(signal),
        });
      }),
  };
}

interface GitHubErrorResponse {
  data?: { message?: unknown };
  headers?: Record<string, string | undefined>;
}

/**
 * What to do about a refusal: a 403 names the App permission GitHub said the call needs
 * (`x-accepted-github-permissions: checks=write`), so the reply says what to grant.
 */
function errorHint(
  status: unknown,
  response: GitHubErrorResponse | undefined,
  notFoundHint: string | undefined,
): string | undefined {
  if (status === 404) return notFoundHint;
  if (status !== 403) return undefined;
  const accepted = response?.headers?.['x-accepted-github-permissions'];
  if (!accepted) return undefined;
  const needed = accepted.split(';')[0]!.replaceAll('=', ': ').replaceAll(',', ', ');
  return `the GitHub App lacks the permission ${needed}; grant it in the App's settings (Permissions) and accept the change in the installation`;
}

/** The body shared by creating and updating a check run (GitHub's limits: 65535 characters of text). */
function checkRunBody(input: CheckRunInput) {
  const cut = (text: string) => (text.length <= 65_535 ? text : `${text.slice(0, 65_534)}…`);
  return {
    name: input.name,
    external_id: input.externalId,
    status: input.status,
    ...(input.conclusion === undefined ? {} : { conclusion: input.conclusion }),
    ...(input.startedAt === undefined ? {} : { started_at: input.startedAt }),
    ...(input.completedAt === undefined ? {} : { completed_at: input.completedAt }),
    ...(input.detailsUrl === undefined ? {} : { details_url: input.detailsUrl }),
    output: {
      title: input.title,
      summary: cut(input.summary),
      ...(input.text === undefined ? {} : { text: cut(input.text) }),
    },
    actions: input.actions.slice(0, 3),
  };
}
