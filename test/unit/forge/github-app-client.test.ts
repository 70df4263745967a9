import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import type { CheckRunInput, ForgeClient } from '../../../src/forge/forge.js';
import { createGitHubAppClient } from '../../../src/forge/github-app/github-app-client.js';
import { REFRESH_BEFORE_MS } from '../../../src/forge/github-app/installation-auth.js';
import {
  storeInstallations,
  type InstallationRegistry,
} from '../../../src/forge/github-app/installations.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { createGitHubClient } from '../../../src/forge/github-client.js';
import { silentLogger } from '../../../src/log/logger.js';
import { APP_PERMISSIONS } from '../../fakes/github/fake-github-app.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/fake-github.js';

const SHA = 'a'.repeat(40);
const web = { owner: 'acme', repo: 'web' };
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const checkRun: CheckRunInput = {
  name: 'docker-watcher deploy: dev',
  headSha: SHA,
  externalId: 'deploy-1',
  status: 'in_progress',
  title: 'deploying dev-1 to dev',
  summary: 'phases',
  actions: [],
};

let github: FakeGitHub;
const appClient = (
  options: { installationId?: number; privateKey?: string; installations?: InstallationRegistry } = {},
): ForgeClient =>
  createGitHubAppClient({
    forgeName: 'github',
    ...(options.installations ? { installations: options.installations } : {}),
    baseUrl: github.apiUrl,
    credentials: {
      appId: 4242,
      privateKey: options.privateKey ?? privateKey,
      ...(options.installationId === undefined ? {} : { installationId: options.installationId }),
    },
    logger: silentLogger,
    retryBaseMs: 1,
    spaceWrites: false,
  });

beforeAll(async () => {
  github = await startFakeGitHub({
    app: {
      appId: 4242,
      publicKey,
      // Tokens live a little longer than the renewal margin: the second call needs a new one.
      tokenTtlMs: REFRESH_BEFORE_MS + 1500,
      installations: [
        { id: 77, account: 'acme', repositories: ['acme/web'], permissions: { ...APP_PERMISSIONS } },
        {
          id: 78,
          account: 'other',
          repositories: ['other/api'],
          permissions: { metadata: 'read', statuses: 'write' },
        },
      ],
    },
  });
});
afterAll(() => github.close());

describe('the GitHub App client against the fake GitHub', () => {
  it('finds the installation with the JWT, then creates and updates a check run with its token', async () => {
    const client = appClient();
    const id = await client.upsertCheckRun!(web, undefined, checkRun);
    await client.upsertCheckRun!(web, id, { ...checkRun, status: 'completed', conclusion: 'success' });
    const run = github.checkRuns.get(id)!;
    expect(run.updates.map((u) => u.status)).toEqual(['in_progress', 'completed']);
    const ops = github.requests.map((r) => r.operationId);
    expect(ops.slice(0, 3)).toEqual([
      'apps/get-repo-installation',
      'apps/create-installation-access-token',
      'checks/create',
    ]);
    expect(github.app!.jwtsSeen.every((jwt) => String(jwt.iss) === '4242' && jwt.exp - jwt.iat <= 600)).toBe(
      true,
    );
    expect(github.rejections).toEqual([]);
  });

  it('renews a token before it expires, and once more when GitHub says it has (401)', async () => {
    const client = appClient({ installationId: 77 });
    const before = github.app!.issued.length;
    await client.setCommitStatus(web, SHA, {
      state: 'pending',
      context: 'docker-watcher/dev',
      description: 'x',
    });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await client.setCommitStatus(web, SHA, {
      state: 'pending',
      context: 'docker-watcher/dev',
      description: 'y',
    });
    expect(github.app!.issued.length - before).toBe(2);
    github.app!.expireTokens();
    await client.setCommitStatus(web, SHA, {
      state: 'success',
      context: 'docker-watcher/dev',
      description: 'z',
    });
    expect(github.app!.issued.length - before).toBe(3);
    expect(github.state.latestStatuses('acme/web', SHA).get('docker-watcher/dev')?.state).toBe('success');
  });

  it('says the App is not installed on a repository outside its installations', async () => {
    const error = await appClient()
      .setCommitStatus({ owner: 'acme', repo: 'elsewhere' }, SHA, {
        state: 'pending',
        context: 'c',
        description: 'd',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /GitHub App 4242 \(forges\.github\) is not installed on acme\/elsewhere .*install it on acme or add the repository/,
    );
  });

  it('uses the installation its webhooks named, and says so when a repository was removed from it', async () => {
    const installations = storeInstallations(openSqliteStore(':memory:'));
    installations.add('github', 77, 'acme', ['acme/web', 'acme/gone']);
    installations.remove('github', ['acme/gone']);
    const client = appClient({ installations });
    github.requests.length = 0;
    await client.getPullRequest(web, 7).catch(() => undefined);
    expect(github.requests.map((r) => r.operationId)).not.toContain('apps/get-repo-installation');
    const error = await client.getPullRequest({ owner: 'acme', repo: 'gone' }, 7).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'the GitHub App 4242 (forges.github) is not installed on acme/gone (the installation webhook said it was removed); install it on acme or add the repository to its installation (installed on: acme (77))',
    );
  });

  it('names the permission GitHub says a refused call needs (403)', async () => {
    const error = await appClient().upsertCheckRun!(
      { owner: 'other', repo: 'api' },
      undefined,
      checkRun,
    ).catch((e: unknown) => e);
    expect((error as ExternalError).status).toBe(403);
    expect((error as Error).message).toContain('the GitHub App lacks the permission checks: write');
  });

  it("refuses a key that is not the App's with an error naming the app, not the key", async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const error = await appClient({ privateKey: other })
      .getPullRequest(web, 7)
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('GitHub refused the JWT of App 4242 (forges.github)');
    expect((error as Error).message).not.toContain('PRIVATE KEY');
  });

  it('a personal token client keeps commit statuses and has no check runs', () => {
    const client = createGitHubClient({ baseUrl: github.apiUrl, token: github.token, logger: silentLogger });
    expect('upsertCheckRun' in client).toBe(false);
  });
});
