import type { LoadedConfig } from '../config/loaded-config.js';
import { ValidationError } from '../core/errors.js';
import { imageRegistryHost, pullCredentials } from '../deploy/pull-credentials.js';
import type { RegistryEndpoint } from './registry-endpoint.js';

const DOCKER_HUB = 'registry-1.docker.io';
const DEFAULT_INTERVAL_SECONDS = 60;

/** Where the poller reads a project's tags, and how often. */
export interface ProjectRegistry {
  endpoint: RegistryEndpoint;
  /** Repository path inside the registry, e.g. alexei/web-app-launcher. */
  repository: string;
  /** The registries entry's name, or the image's host when the project names none (for logs). */
  registryName: string;
  intervalMs: number;
}

/**
 * The registry of a project: its image's host (the registry entry's host when the image has
 * none), with the entry's credentials and poll interval; a project without `registry` polls its
 * image's host anonymously every 60 s.
 */
export function projectRegistry(loaded: LoadedConfig, project: string): ProjectRegistry {
  const projectConfig = loaded.config.projects[project];
  if (!projectConfig) throw new ValidationError(`project "${project}" is not in the config`);
  const registryName = projectConfig.registry;
  const registry = registryName === undefined ? undefined : loaded.config.registries[registryName];
  if (registryName !== undefined && registry === undefined) {
    throw new ValidationError(
      `project ${project} names registry "${registryName}", which is not under registries; add it or fix the name`,
    );
  }
  const imageHost = imageRegistryHost(projectConfig.image);
  const host = imageHost ?? (registry ? new URL(registry.url).host : DOCKER_HUB);
  let repository =
    imageHost === undefined ? projectConfig.image : projectConfig.image.slice(imageHost.length + 1);
  if (host === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const login = pullCredentials(loaded.config, loaded.secrets, project);
  const hint =
    registryName === undefined
      ? `project ${project} names no registry; add one under registries with username and token_env and set projects.${project}.registry`
      : `check registries.${registryName}.${registry?.username_env === undefined ? 'username' : 'username_env'} and registries.${registryName}.token_env`;
  const endpoint: RegistryEndpoint = {
    registry: registry && new URL(registry.url).host === host ? registry.url : host,
    insecure: registry?.insecure ?? false,
    credentialsHint: hint,
    ...(login === undefined ? {} : { credentials: { username: login.username, password: login.password } }),
  };
  return {
    endpoint,
    repository,
    registryName: registryName ?? host,
    intervalMs: (registry?.poll_interval_seconds ?? DEFAULT_INTERVAL_SECONDS) * 1000,
  };
}
