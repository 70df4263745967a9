import type { DeploySource } from '../core/deploy-types.js';

/** The part of a runner's event payload that is read (pull_request events). */
export interface EventPayload {
  number?: unknown;
  pull_request?: { number?: unknown } | null;
}

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
 * Where a deploy request comes from, read from the variables GitHub and Gitea runners set
 * (GITHUB_SHA, GITHUB_REPOSITORY, ...) and the event payload (for the pull request number).
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
  const source: DeploySource = { forge: detectForge(env), serverUrl, repository, sha: env.GITHUB_SHA! };
  if (env.GITHUB_REF) source.ref = env.GITHUB_REF;
  if (env.GITHUB_ACTOR) source.actor = env.GITHUB_ACTOR;
  if (env.GITHUB_RUN_ID) source.runUrl = `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}`;
  const pr = payload?.pull_request?.number ?? (payload?.pull_request ? payload.number : undefined);
  if (typeof pr === 'number' && Number.isInteger(pr) && pr > 0) source.pr = pr;
  return { source };
}
