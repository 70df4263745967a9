import type { LoadedConfig } from '../../config/loaded-config.js';
import type { NpmConfig } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { createNpmClient, type NpmClient } from './npm-client.js';

/** global.npm of a loaded config, and a client logged in with the password its env var holds. */
export function npmClientFromConfig(
  loaded: LoadedConfig,
  clock: Clock,
  logger: Logger,
): { npm: NpmConfig; client: NpmClient } {
  const npm = loaded.config.global.npm;
  if (!npm) {
    throw new ConfigError('the Nginx Proxy Manager router needs global.npm in the config', [
      { path: 'global.npm', message: 'add url, email and password_env, or run without a proxy' },
    ]);
  }
  const password = loaded.secrets[npm.password_env];
  if (!password) {
    throw new ConfigError(`environment variable ${npm.password_env} (global.npm.password_env) is not set`, [
      {
        path: 'global.npm.password_env',
        message: `set ${npm.password_env} to the NPM password of ${npm.email}`,
      },
    ]);
  }
  const client = createNpmClient({
    url: npm.url,
    email: npm.email,
    password,
    passwordSource: npm.password_env,
    clock,
    logger,
  });
  return { npm, client };
}
