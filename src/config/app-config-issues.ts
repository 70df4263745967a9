import type { ForgeConfig } from './schema.js';

/** A problem with a forge's GitHub App keys, at its key path. */
export interface AppConfigIssue {
  path: (string | number)[];
  message: string;
}

const APP_KEYS = ['private_key_file', 'private_key_env', 'installation_id'] as const;

/**
 * The cross-field rules of the GitHub App keys of `forges.<name>`: App keys only on a github
 * forge, app_id with exactly one of private_key_file and private_key_env, and never beside
 * token_env (one identity per forge, so a report never appears as a person by surprise).
 */
export function appConfigIssues(name: string, forge: ForgeConfig): AppConfigIssue[] {
  const at = (key: string) => ['forges', name, key];
  const issues: AppConfigIssue[] = [];
  const given = APP_KEYS.filter((key) => forge[key] !== undefined);
  if (forge.app_id === undefined) {
    for (const key of given)
      issues.push({ path: at(key), message: `${key} is a GitHub App key; set app_id too, or remove ${key}` });
    return issues;
  }
  if (forge.type !== 'github') {
    issues.push({ path: at('app_id'), message: 'app_id is for type: github; Gitea forges use token_env' });
    return issues;
  }
  const keys = (forge.private_key_file === undefined ? 0 : 1) + (forge.private_key_env === undefined ? 0 : 1);
  if (keys !== 1) {
    issues.push({
      path: at('app_id'),
      message: `a GitHub App needs exactly one of private_key_file and private_key_env, found ${keys === 0 ? 'none' : 'both'}`,
    });
  }
  if (forge.token_env !== undefined) {
    issues.push({
      path: at('token_env'),
      message:
        'token_env and app_id are two identities; keep app_id (the App) or token_env (a personal token)',
    });
  }
  return issues;
}
