import type { Config } from '../config/schema.js';
import { ValidationError } from '../core/errors.js';
import type { RegistryCredentials } from '../docker/engine.js';

/** host[:port] of an image reference's registry, or undefined for Docker Hub short names. */
export function imageRegistryHost(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  if (!image.includes('/')) return undefined;
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

/**
 * Pull credentials of a project from its registry entry and the secrets (values by variable
 * name); undefined when the project names no registry or the registry has no credentials
 * configured. Called at the root, when the settings are resolved (src/config/deploy-settings.ts).
 */
export function pullCredentials(
  config: Config,
  secrets: Readonly<Record<string, string>>,
  project: string,
): RegistryCredentials | undefined {
  const projectConfig = config.projects[project];
  if (!projectConfig?.registry) return undefined;
  const registry = config.registries[projectConfig.registry];
  if (!registry) {
    throw new ValidationError(
      `project ${project} names registry "${projectConfig.registry}", which is not under registries; add it or fix the name`,
    );
  }
  const username = registry.username ?? (registry.username_env ? secrets[registry.username_env] : undefined);
  const password = registry.token_env ? secrets[registry.token_env] : undefined;
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    const missing = username === undefined ? (registry.username_env ?? 'username') : registry.token_env;
    throw new ValidationError(
      `registry "${projectConfig.registry}" has no value for ${missing}; set that environment variable or the key`,
    );
  }
  const serverAddress = imageRegistryHost(projectConfig.image) ?? new URL(registry.url).host;
  return { username, password, serverAddress };
}
