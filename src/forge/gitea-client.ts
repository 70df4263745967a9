import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { forgeError, statusDescription, toPermission, withMarker } from './forge-common.js';
import type { ForgeClient, RepoRef } from './forge.js';

export interface GiteaClientOptions {
  /** API base, e.g. https://git.example.com/api/v1 */
  apiUrl: string;
  token: string;
  logger: Logger;
  /** Time allowed for one request (default 15 s). */
  timeoutMs?: number;
}

interface GiteaComment {
  id: number;
  body?: string;
}

/** Why Gitea answers 403 to a permission check, and what to do (said once, by this adapter). */
export const GITEA_PERMISSION_REFUSED =
  "Gitea only tells collaborator permissions to a token with admin rights on the repository; give the token's user admin access to it (or use a token of a repository admin)";

/** The Gitea adapter (API v1) over undici. Gitea has no deployments API. */
export function createGiteaClient(options: GiteaClientOptions): ForgeClient {
  const base = options.apiUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;

  const send = async <T>(
    name: string,
    repo: RepoRef,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; data: T }> => {
    const url = `${base}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}${path}`;
    let response;
    try {
      // Loaded on the first request: an app without a Gitea forge never pays for undici here.
      const { request } = await import('undici');
      response = await request(url, {
        method,
        headers: {
          authorization: `token ${options.token}`,
          accept: 'application/json',
          'user-agent': 'docker-watcher',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal:
          signal === undefined
            ? AbortSignal.timeout(timeoutMs)
            : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      throw forgeError('Gitea', name, repo, { message: errorMessage(error), cause: error });
    }
    const text = await response.body.text();
    const data = parseJson(text);
    if (response.statusCode >= 400) {
      const message = (data as { message?: unknown } | undefined)?.message;
      throw forgeError('Gitea', name, repo, {
        status: response.statusCode,
        message:
          typeof message === 'string' && message !== ''
            ? message
            : `${method} ${path} answered ${response.statusCode}`,
      });
    }
    return { status: response.statusCode, data: data as T };
  };

  return {
    kind: 'gitea',

    async setCommitStatus(repo, sha, status, signal) {
      await send(
        'commit status',
        repo,
        'POST',
        `/statuses/${encodeURIComponent(sha)}`,
        {
          state: status.state,
          context: status.context,
          description: statusDescription(status.description),
          ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
        },
        signal,
      );
    },

    async upsertMarkedComment(repo, pr, marker, body, signal) {
      const text = withMarker(marker, body);
      // Gitea's issue comment list has no paging: one call returns every comment.
      const { data: comments } = await send<GiteaComment[]>(
        'PR comments',
        repo,
        'GET',
        `/issues/${pr}/comments`,
        undefined,
        signal,
      );
      const existing = comments.find((comment) => comment.body?.includes(marker));
      if (existing) {
        await send('PR comment', repo, 'PATCH', `/issues/comments/${existing.id}`, { body: text }, signal);
        return existing.id;
      }
      const { data } = await send<GiteaComment>(
        'PR comment',
        repo,
        'POST',
        `/issues/${pr}/comments`,
        { body: text },
        signal,
      );
      return data.id;
    },

    async createComment(repo, pr, body, signal) {
      const { data } = await send<GiteaComment>(
        'PR comment',
        repo,
        'POST',
        `/issues/${pr}/comments`,
        { body },
        signal,
      );
      return data.id;
    },

    async addReaction(repo, commentId, reaction, signal) {
      await send(
        'reaction',
        repo,
        'POST',
        `/issues/comments/${commentId}/reactions`,
        { content: reaction },
        signal,
      );
    },

    async userPermission(repo, username, signal) {
      try {
        const { data } = await send<{ permission?: string }>(
          `permission of ${username}`,
          repo,
          'GET',
          `/collaborators/${encodeURIComponent(username)}/permission`,
          undefined,
          signal,
        );
        return toPermission(data.permission);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404) return 'none';
        if (status === 403) {
          throw forgeError('Gitea', `permission of ${username}`, repo, {
            status,
            message: GITEA_PERMISSION_REFUSED,
            cause: error,
          });
        }
        throw error;
      }
    },

    async getPullRequest(repo, pr, signal) {
      const { data } = await send<{
        number: number;
        head: { sha: string; repo_id?: number };
        base?: { repo_id?: number };
        user: { login: string };
        state: string;
      }>(`pull request #${pr}`, repo, 'GET', `/pulls/${pr}`, undefined, signal);
      const headRepo = data.head.repo_id;
      const baseRepo = data.base?.repo_id;
      return {
        number: data.number,
        headSha: data.head.sha,
        author: data.user.login,
        state: data.state === 'open' ? 'open' : 'closed',
        ...(headRepo !== undefined && baseRepo !== undefined ? { fork: headRepo !== baseRepo } : {}),
      };
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}
