import type { ForgeClient } from '../forge.js';
import type { GitHubAppClientOptions } from './github-app-client.js';

type Method = Exclude<keyof ForgeClient, 'kind'>;

const METHODS = [
  'setCommitStatus',
  'upsertMarkedComment',
  'createComment',
  'addReaction',
  'userPermission',
  'getPullRequest',
  'createDeployment',
  'createDeploymentStatus',
  'upsertCheckRun',
] as const satisfies readonly Method[];

/**
 * The GitHub App client, loaded on its first call: @octokit/auth-app and Octokit are imported
 * only by an app that has a GitHub App forge and reports to it (idle memory, issue #21).
 */
export function createLazyGitHubAppClient(options: GitHubAppClientOptions): ForgeClient {
  let client: Promise<ForgeClient> | undefined;
  const load = () =>
    (client ??= import('./github-app-client.js').then((module) => module.createGitHubAppClient(options)));
  const methods = Object.fromEntries(
    METHODS.map((name) => [
      name,
      async (...args: unknown[]) => {
        const real = await load();
        return (real[name] as (...callArgs: unknown[]) => Promise<unknown>).apply(real, args);
      },
    ]),
  ) as Required<Pick<ForgeClient, Method>>;
  return { kind: 'github', ...methods };
}
