import type { ForgeClient } from './forge.js';
import type { GitHubClientOptions } from './github-client.js';

type Method = Exclude<keyof ForgeClient, 'kind'>;

/**
 * A GitHub client that loads Octokit and its plugins (about 7 MB and 50 ms) on its first call,
 * not when the app starts: an app that reports to no forge, or has not reported yet, never pays.
 */
export function createLazyGitHubClient(options: GitHubClientOptions): ForgeClient {
  let client: Promise<ForgeClient> | undefined;
  const load = () =>
    (client ??= import('./github-client.js').then((module) => module.createGitHubClient(options)));
  const later = <K extends Method>(name: K) =>
    (async (...args: unknown[]) => {
      const real = await load();
      return (real[name] as (...callArgs: unknown[]) => Promise<unknown>).apply(real, args);
    }) as NonNullable<ForgeClient[K]>;
  return {
    kind: 'github',
    setCommitStatus: later('setCommitStatus'),
    upsertMarkedComment: later('upsertMarkedComment'),
    createComment: later('createComment'),
    addReaction: later('addReaction'),
    userPermission: later('userPermission'),
    getPullRequest: later('getPullRequest'),
    createDeployment: later('createDeployment'),
    createDeploymentStatus: later('createDeploymentStatus'),
  };
}
