import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { ExternalError, errorMessage } from '../../core/errors.js';
import type { ForgeClient, RepoRef } from '../forge.js';
import { createGitHubClient, type GitHubClientOptions } from '../github-client.js';
import type { GitHubAppCredentials } from './app-credentials.js';
import { installationAuthStrategy } from './installation-auth.js';
import type { InstallationRegistry } from './installations.js';

export interface GitHubAppClientOptions extends Omit<GitHubClientOptions, 'token' | 'authStrategy' | 'auth'> {
  /** The entry under `forges` (installations are tracked per forge). */
  forgeName: string;
  credentials: GitHubAppCredentials;
  installations?: InstallationRegistry;
}

type Method = Exclude<keyof ForgeClient, 'kind'>;

/**
 * The GitHub adapter acting as a GitHub App: each repository's installation (the configured
 * `installation_id`, else the one the App's webhooks named, else `GET /repos/{owner}/{repo}/installation`
 * asked with the App's JWT) gets one Octokit client with that installation's token, renewed
 * before it expires. A repository outside every installation is an error that says so.
 */
export function createGitHubAppClient(options: GitHubAppClientOptions): ForgeClient {
  const { credentials, forgeName } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const appOctokit = new Octokit({
    authStrategy: createAppAuth,
    auth: { appId: credentials.appId, privateKey: credentials.privateKey },
    baseUrl,
    userAgent: 'docker-watcher',
    request: options.fetch === undefined ? {} : { fetch: options.fetch },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const appAuth = createAppAuth({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    request: appOctokit.request,
  });
  const byInstallation = new Map<number, ForgeClient>();
  const byRepo = new Map<string, Promise<number>>();

  const notInstalled = (repo: RepoRef, detail: string) => {
    const known = options.installations?.accounts(forgeName) ?? [];
    return new ExternalError(
      'forge',
      `the GitHub App ${credentials.appId} (forges.${forgeName}) is not installed on ${repo.owner}/${repo.repo} (${detail}); ` +
        `install it on ${repo.owner} or add the repository to its installation` +
        (known.length > 0 ? ` (installed on: ${known.join(', ')})` : ''),
      { status: 404 },
    );
  };

  const askGitHub = async (repo: RepoRef): Promise<number> => {
    try {
      const { data } = await appOctokit.rest.apps.getRepoInstallation({ ...repo });
      return data.id;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (status === 404)
        throw notInstalled(repo, 'GitHub answered 404 to GET /repos/{owner}/{repo}/installation');
      if (status === 401)
        throw new ExternalError(
          'forge',
          `GitHub refused the JWT of App ${credentials.appId} (forges.${forgeName}): check app_id and that the private key is the App's current one`,
          { status: 401, cause: error },
        );
      throw new ExternalError(
        'forge',
        `could not find the App's installation on ${repo.owner}/${repo.repo}: ${errorMessage(error)}`,
        {
          cause: error,
          ...(typeof status === 'number' ? { status } : {}),
        },
      );
    }
  };

  /** The configured installation, else what the webhooks said (read each time: they change), else GitHub's answer. */
  const installationOf = (repo: RepoRef): Promise<number> => {
    if (credentials.installationId !== undefined) return Promise.resolve(credentials.installationId);
    const tracked = options.installations?.find(forgeName, `${repo.owner}/${repo.repo}`);
    if (typeof tracked === 'number') return Promise.resolve(tracked);
    if (tracked === null)
      return Promise.reject(notInstalled(repo, 'the installation webhook said it was removed'));
    const key = `${repo.owner}/${repo.repo}`.toLowerCase();
    let id = byRepo.get(key);
    if (!id) {
      id = askGitHub(repo);
      byRepo.set(key, id);
      // A failed lookup is asked again next time (the App may have been installed since).
      id.catch(() => byRepo.delete(key));
    }
    return id;
  };

  const clientFor = async (repo: RepoRef): Promise<ForgeClient> => {
    const installationId = await installationOf(repo);
    let client = byInstallation.get(installationId);
    if (!client) {
      client = createGitHubClient({
        ...options,
        baseUrl,
        authStrategy: installationAuthStrategy,
        auth: { appAuth, installationId },
        checkRuns: true,
        notFoundHint: `check the repository name and that it is in installation ${installationId} of the GitHub App`,
      });
      byInstallation.set(installationId, client);
    }
    return client;
  };

  const through = <K extends Method>(name: K) =>
    (async (repo: RepoRef, ...args: unknown[]) => {
      const client = await clientFor(repo);
      return (client[name] as (...callArgs: unknown[]) => Promise<unknown>).call(client, repo, ...args);
    }) as NonNullable<ForgeClient[K]>;

  return {
    kind: 'github',
    setCommitStatus: through('setCommitStatus'),
    upsertMarkedComment: through('upsertMarkedComment'),
    createComment: through('createComment'),
    addReaction: through('addReaction'),
    userPermission: through('userPermission'),
    getPullRequest: through('getPullRequest'),
    createDeployment: through('createDeployment'),
    createDeploymentStatus: through('createDeploymentStatus'),
    upsertCheckRun: through('upsertCheckRun'),
  };
}
