import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../../config/loaded-config.js';
import { ConfigError } from '../../core/errors.js';

/** What a GitHub App forge authenticates with, resolved once at start-up. */
export interface GitHubAppCredentials {
  appId: number;
  /** The App's private key (PEM); never logged, never in an error. */
  privateKey: string;
  /** The configured installation, when the config pins one. */
  installationId?: number;
}

/**
 * The credentials of every forge with `app_id`, by forge name: the private key read once from
 * `private_key_file` (relative to the config file) or the variable named by `private_key_env`,
 * and checked to be a private key. A key that is missing, unreadable or not a private key is a
 * ConfigError naming the key path and the file or variable, never the key's content.
 */
export function resolveAppCredentials(loaded: LoadedConfig): Map<string, GitHubAppCredentials> {
  const apps = new Map<string, GitHubAppCredentials>();
  const issues: { path: string; message: string }[] = [];
  for (const [name, forge] of Object.entries(loaded.config.forges)) {
    if (forge.type !== 'github' || forge.app_id === undefined) continue;
    const key = readKey(loaded, name, forge.private_key_file, forge.private_key_env);
    if ('problem' in key) {
      issues.push({ path: key.path, message: key.problem });
      continue;
    }
    apps.set(name, {
      appId: forge.app_id,
      privateKey: key.pem,
      ...(forge.installation_id === undefined ? {} : { installationId: forge.installation_id }),
    });
  }
  if (issues.length > 0) {
    const lines = issues.map((issue) => `${loaded.file}  ${issue.path}  ${issue.message}`);
    throw new ConfigError(`the GitHub App private key cannot be used:\n${lines.join('\n')}`, issues);
  }
  return apps;
}

type KeyResult = { pem: string } | { path: string; problem: string };

function readKey(
  loaded: LoadedConfig,
  forgeName: string,
  file: string | undefined,
  envName: string | undefined,
): KeyResult {
  const path = `forges.${forgeName}.${file === undefined ? 'private_key_env' : 'private_key_file'}`;
  let pem: string;
  let where: string;
  if (file !== undefined) {
    where = resolve(loaded.dir, file);
    try {
      pem = readFileSync(where, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return {
        path,
        problem: `the private key file ${where} cannot be read (${code}); download a key from the App's settings (Private keys) and point private_key_file at it`,
      };
    }
  } else {
    where = `environment variable ${envName}`;
    const value = envName === undefined ? undefined : loaded.secrets[envName];
    if (!value) return { path, problem: `${where} is not set; put the App's private key (PEM) in it` };
    // A key passed through an env file often has its newlines written as \n.
    pem = value.includes('\\n') && !value.includes('\n') ? value.replaceAll('\\n', '\n') : value;
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    return {
      path,
      problem: `${where} does not hold an RSA private key in PEM form (-----BEGIN RSA PRIVATE KEY----- as GitHub gives it); generate a new private key in the App's settings`,
    };
  }
  return { pem };
}
