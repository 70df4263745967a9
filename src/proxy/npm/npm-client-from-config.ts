import type { LoadedConfig } from '../../config/loaded-config.js';
import type { NpmConfig } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { createNpmClient, type NpmClient } from './npm-client.js';

/**
 * global.npm of a loaded config, a client logged in with the password its env var holds, and the
 * DNS provider's credentials for certificates (global.npm.certificate_dns.credentials_env): the
 * secrets the NPM router needs, resolved by the composition root.
 */
export function npmClientFromConfig(
  loaded: LoadedConfig,
  clock: Clock,
  logger: Logger,
): { npm: NpmConfig; client: NpmClient; dnsCredentials?: string } {
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
  const dnsCredentials =
    npm.certificate_dns === undefined ? undefined : loaded.secrets[npm.certificate_dns.credentials_env];
  return { npm, client, ...(dnsCredentials === undefined ? {} : { dnsCredentials }) };
}
