import { isRepositoryName } from '../core/repository-name.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import type { Config, ForgeConfig } from '../config/schema.js';
import type { DeploySource } from '../core/deploy-types.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { parseRepo, type ForgeClient, type RepoRef } from './forge.js';
import { createGiteaClient } from './gitea-client.js';
import type { GitHubAppCredentials } from './github-app/app-credentials.js';
import type { InstallationRegistry } from './github-app/installations.js';
import { createLazyGitHubAppClient } from './github-app/lazy-github-app-client.js';
import type { GitHubClientOptions } from './github-client.js';
import { createLazyGitHubClient } from './lazy-github-client.js';

/** A project's forge client and the repository it reports to. */
export interface ProjectForge {
  client: ForgeClient;
  repo: RepoRef;
  /** Name of the entry under `forges`. */
  forgeName: string;
}

export interface ForgeForOptions {
  logger?: Logger;
  /** Only for GitHub clients (tests); Gitea goes through undici. */
  fetch?: typeof fetch;
  /** GitHub App credentials by forge name, resolved at the root (forges with `app_id`). */
  apps?: ReadonlyMap<string, GitHubAppCredentials>;
  /** Where the Apps are installed, as their webhooks said. */
  installations?: InstallationRegistry;
  /** Passed to the GitHub clients (tests turn write spacing off). */
  github?: Pick<GitHubClientOptions, 'spaceWrites' | 'retryBaseMs'>;
}

const GITHUB_WEB = 'https://github.com';

/**
 * The configured forges and one client for each that has a token, built once by the
 * composition root (app/server.ts) and shared by everything that talks to a forge.
 */
export interface ForgeClients {
  forges: Config['forges'];
  projects: Config['projects'];
  /** By forge name; a forge without a token has none. */
  clients: ReadonlyMap<string, ForgeClient>;
}

/** One client per configured forge whose token_env holds a token, or that is a GitHub App with credentials. */
export function createForgeClients(loaded: LoadedConfig, options: ForgeForOptions = {}): ForgeClients {
  const { forges, projects } = loaded.config;
  const clients = new Map<string, ForgeClient>();
  for (const [name, forge] of Object.entries(forges)) {
    const app = options.apps?.get(name);
    if (forge.type === 'github' && app) {
      clients.set(name, createAppClient(name, forge, app, options));
      continue;
    }
    const token = forge.token_env === undefined ? undefined : loaded.secrets[forge.token_env];
    if (token) clients.set(name, createClient(name, forge, token, options));
  }
  return { forges, projects, clients };
}

/**
 * The forge and repository a project reports to, or undefined when there is none (no forge
 * configured, no repository known, or no token). The forge is the project's `forge`, else the only
 * entry of `forges`, else the configured forge the request's source came from; the repository is
 * the project's `repository`, else the source's.
 */
export function forgeFor(
  known: ForgeClients,
  project: string | undefined,
  source?: DeploySource,
): ProjectForge | undefined {
  const { forges, projects } = known;
  const projectConfig =
    project === undefined || !Object.hasOwn(projects, project) ? undefined : projects[project];
  const forgeName = projectConfig?.forge ?? soleForge(forges) ?? forgeOfSource(forges, source);
  if (forgeName === undefined) return undefined;
  const forge = forges[forgeName];
  if (!forge) {
    throw new Error(
      `project "${project}" names forge "${forgeName}", which is not under forges (known: ${Object.keys(forges).join(', ') || 'none'})`,
    );
  }
  // A request's repository is a forge path only when it is exactly owner/name ("../admin" is not).
  const fromSource =
    source !== undefined && isRepositoryName(source.repository) ? source.repository : undefined;
  const repository = projectConfig?.repository ?? fromSource;
  if (repository === undefined) return undefined;
  const client = known.clients.get(forgeName);
  if (!client) return undefined;
  return { client, repo: parseRepo(repository), forgeName };
}

/**
 * The API base of a forge (the README's table): `api_url`, else for GitHub the public API
 * (github.com), api.<name>.ghe.com (Enterprise Cloud with data residency) or <url>/api/v3
 * (Enterprise Server); for Gitea <url>/api/v1.
 */
export function forgeApiUrl(forgeName: string, forge: ForgeConfig): string {
  if (forge.api_url !== undefined) return trimSlash(forge.api_url);
  if (forge.type === 'github') {
    const host = forge.url === undefined ? 'github.com' : new URL(forge.url).hostname;
    if (host === 'github.com' || host === 'www.github.com') return 'https://api.github.com';
    if (host.endsWith('.ghe.com')) return `https://api.${host}`;
    return `${trimSlash(forge.url!)}/api/v3`;
  }
  if (forge.url === undefined) {
    throw new Error(
      `forges.${forgeName} is a gitea forge without url or api_url; set url to the Gitea web address`,
    );
  }
  return `${trimSlash(forge.url)}/api/v1`;
}

function createClient(
  name: string,
  forge: ForgeConfig,
  token: string,
  options: ForgeForOptions,
): ForgeClient {
  const logger = (options.logger ?? silentLogger).child({ forge: name });
  const apiUrl = forgeApiUrl(name, forge);
  if (forge.type === 'github') {
    return createLazyGitHubClient({
      baseUrl: apiUrl,
      token,
      logger,
      ...options.github,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }
  return createGiteaClient({ apiUrl, token, logger });
}

function createAppClient(
  name: string,
  forge: ForgeConfig,
  credentials: GitHubAppCredentials,
  options: ForgeForOptions,
): ForgeClient {
  return createLazyGitHubAppClient({
    forgeName: name,
    credentials,
    baseUrl: forgeApiUrl(name, forge),
    logger: (options.logger ?? silentLogger).child({ forge: name }),
    ...(options.installations ? { installations: options.installations } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...options.github,
  });
}

function soleForge(forges: Record<string, ForgeConfig>): string | undefined {
  const names = Object.keys(forges);
  return names.length === 1 ? names[0] : undefined;
}

function forgeOfSource(
  forges: Record<string, ForgeConfig>,
  source: DeploySource | undefined,
): string | undefined {
  if (!source) return undefined;
  const origin = originOf(source.serverUrl);
  return Object.entries(forges).find(
    ([, forge]) =>
      forge.type === source.forge &&
      originOf(forge.url ?? (forge.type === 'github' ? GITHUB_WEB : '')) === origin,
  )?.[0];
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
