import type { ProjectConfig } from '../config/schema.js';
import { errorMessage } from '../core/errors.js';
import type { ForgeClient, Permission, RepoRef } from '../forge/forge.js';

/** Whether a commenter may run commands, and why not when they may not. */
export type Access =
  { allowed: true; via: 'approvers' | 'admin' | 'write' } | { allowed: false; reason: string };

/** Forge logins compare case-insensitively on both GitHub and Gitea. */
export function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The commenter's permission on the repository, asked of the forge at most once per comment. */
export interface PermissionLookup {
  kind: ForgeClient['kind'];
  repo: RepoRef;
  login: string;
  permission(): Promise<Permission>;
}

/**
 * A lookup that asks the forge on first use and then answers the same (or the same failure):
 * permissions are per repository, so the projects of one repository share it.
 */
export function permissionLookup(
  client: ForgeClient,
  repo: RepoRef,
  login: string,
  signal?: AbortSignal,
): PermissionLookup {
  let asked: Promise<Permission> | undefined;
  return {
    kind: client.kind,
    repo,
    login,
    permission: () => (asked ??= client.userPermission(repo, login, signal)),
  };
}

/**
 * Lets through the project's `approvers` and users with write or admin permission on the
 * repository. Anything else, including a permission check the forge refused or that failed,
 * is a refusal: an unknown permission never counts as enough.
 */
export async function checkAccess(
  lookup: PermissionLookup,
  projectName: string,
  project: ProjectConfig,
): Promise<Access> {
  const { login, repo } = lookup;
  if (project.approvers.some((approver) => sameLogin(approver, login)))
    return { allowed: true, via: 'approvers' };
  const full = `${repo.owner}/${repo.repo}`;
  let permission: string;
  try {
    permission = await lookup.permission();
  } catch (error) {
    // The forge adapter's error already says what the token lacks (Gitea: admin rights on the repository).
    return {
      allowed: false,
      reason: `could not check @${login}'s permission on ${full} (${errorMessage(error)}), so nothing was done. Fix docker-watcher's forge token, or list the user in projects.${projectName}.approvers.`,
    };
  }
  if (permission === 'admin' || permission === 'write') return { allowed: true, via: permission };
  const has = permission === 'none' ? `has no access to ${full}` : `has ${permission} permission on ${full}`;
  return {
    allowed: false,
    reason: `@${login} ${has}; commands need write or admin permission, or being listed in projects.${projectName}.approvers.`,
  };
}
