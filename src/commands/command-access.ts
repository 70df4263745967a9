import type { ProjectConfig } from '../config/schema.js';
import { errorMessage } from '../core/errors.js';
import { type ForgeClient, type RepoRef } from '../forge/forge.js';

/** Whether a commenter may run commands, and why not when they may not. */
export type Access =
  { allowed: true; via: 'approvers' | 'admin' | 'write' } | { allowed: false; reason: string };

/** Forge logins compare case-insensitively on both GitHub and Gitea. */
export function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Lets through the project's `approvers` and users with write or admin permission on the
 * repository. Anything else, including a permission check the forge refused or that failed,
 * is a refusal: an unknown permission never counts as enough.
 */
export async function checkAccess(
  client: ForgeClient,
  repo: RepoRef,
  projectName: string,
  project: ProjectConfig,
  login: string,
  signal?: AbortSignal,
): Promise<Access> {
  if (project.approvers.some((approver) => sameLogin(approver, login)))
    return { allowed: true, via: 'approvers' };
  const full = `${repo.owner}/${repo.repo}`;
  let permission: string;
  try {
    permission = await client.userPermission(repo, login, signal);
  } catch (error) {
    const giteaHint =
      client.kind === 'gitea'
        ? " Gitea answers this only to a token with admin rights on the repository: give docker-watcher's token that, or list the user in"
        : " Check docker-watcher's forge token, or list the user in";
    return {
      allowed: false,
      reason: `could not check @${login}'s permission on ${full} (${errorMessage(error)}), so nothing was done.${giteaHint} projects.${projectName}.approvers.`,
    };
  }
  if (permission === 'admin' || permission === 'write') return { allowed: true, via: permission };
  return {
    allowed: false,
    reason: `@${login} has ${permission} permission on ${full}; commands need write or admin permission, or being listed in projects.${projectName}.approvers.`,
  };
}
