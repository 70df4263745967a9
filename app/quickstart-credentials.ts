import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import type { Logger } from '../src/log/logger.js';

/**
 * For the zero-set-up start (`npm start`): when the signing secret or the API token named by the
 * config is not in the environment, generate one once and keep it in the data directory (mode
 * 0600), so a restart keeps working. The values are never logged; the file's path is.
 */
export function withGeneratedCredentials(
  configPath: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): NodeJS.ProcessEnv {
  const loaded = loadConfig(configPath, env, { requireSecrets: false });
  const { secret_env: secretEnv, api_token_env: tokenEnv } = loaded.config.global;
  const missing = [secretEnv, tokenEnv].filter((name) => !env[name]);
  if (missing.length === 0) return env;

  const dataDir = resolve(loaded.dir, loaded.config.global.data_dir);
  const file = join(dataDir, 'credentials.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  for (const name of missing) saved[name] ??= randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  logger.warn('generated credentials: set these environment variables to use your own', {
    variables: missing,
    file,
  });
  const filled = { ...env };
  for (const name of missing) filled[name] = saved[name];
  return filled;
}
