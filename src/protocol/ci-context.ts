import type { DeploySource } from '../core/deploy-types.js';

/** The part of a runner's event payload that is read (pull_request events). */
export interface EventPayload {
  number?: unknown;
  pull_request?: { number?: unknown; head?: { sha?: unknown; ref?: unknown } | null } | null;
}

/** Events whose GITHUB_SHA is the merge commit of refs/pull/N/merge, which the PR page never shows. */
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

/**
 * Whether a runner is Gitea Actions: it sets GITEA_ACTIONS=true, and otherwise the GitHub
 * variables with GITHUB_SERVER_URL pointing at the Gitea server.
 */
export function detectForge(env: Readonly<Record<string, string | undefined>>): 'github' | 'gitea' {
  if (env.GITEA_ACTIONS === 'true') return 'gitea';
  const server = env.GITHUB_SERVER_URL;
  if (!server) return 'github';
  try {
    const host = new URL(server).hostname;
    return host === 'github.com' || host.endsWith('.ghe.com') ? 'github' : 'gitea';
  } catch {
    return 'gitea';
  }
}

/**
 * The commit a run is about: on pull_request and pull_request_target events the PR's head
 * commit and branch from the event payload (GitHub's GITHUB_SHA is then the merge commit of
 * refs/pull/N/merge, or the base branch's head for pull_request_target; Gitea's runner sets the
 * head already, and its payload has the same shape); GITHUB_SHA and GITHUB_REF otherwise.
 */
function commitOf(
  env: Readonly<Record<string, string | undefined>>,
  payload: EventPayload | undefined,
): { sha: string; ref?: string } {
  const head = payload?.pull_request?.head;
  if (PULL_REQUEST_EVENTS.has(env.GITHUB_EVENT_NAME ?? '') && typeof head?.sha === 'string' && head.sha) {
    return {
      sha: head.sha,
      ...(typeof head.ref === 'string' && head.ref ? { ref: `refs/heads/${head.ref}` } : {}),
    };
  }
  return { sha: env.GITHUB_SHA!, ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}) };
}

/**
 * Where a deploy request comes from, read from the variables GitHub and Gitea runners set
 * (GITHUB_SHA, GITHUB_REPOSITORY, GITHUB_EVENT_NAME, ...) and the event payload at
 * GITHUB_EVENT_PATH (the pull request number, and its head commit on pull request events).
 * Returns the names of the variables that are missing instead when it cannot.
 */
export function sourceFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  payload?: EventPayload,
): { source: DeploySource } | { missing: string[] } {
  const missing = ['GITHUB_SHA', 'GITHUB_REPOSITORY'].filter((name) => !env[name]);
  if (missing.length > 0) return { missing };
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const repository = env.GITHUB_REPOSITORY!;
  const { sha, ref } = commitOf(env, payload);
  const source: DeploySource = { forge: detectForge(env), serverUrl, repository, sha };
  if (ref !== undefined) source.ref = ref;
  if (env.GITHUB_ACTOR) source.actor = env.GITHUB_ACTOR;
  if (env.GITHUB_RUN_ID) source.runUrl = `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}`;
  const pr = payload?.pull_request?.number ?? (payload?.pull_request ? payload.number : undefined);
  if (typeof pr === 'number' && Number.isInteger(pr) && pr > 0) source.pr = pr;
  return { source };
}
