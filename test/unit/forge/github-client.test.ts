import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { ForgeClient } from '../../../src/forge/forge.js';
import { createGitHubClient } from '../../../src/forge/github-client.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/fake-github.js';

const repo = { owner: 'acme', repo: 'web' };
const SHA = 'a'.repeat(40);
const MARKER = '<!-- docker-watcher:pr-comment -->';

let github: FakeGitHub;
let client: ForgeClient;
const clientFor = (token: string) =>
  createGitHubClient({
    baseUrl: github.apiUrl,
    token,
    logger: silentLogger,
    retryBaseMs: 1,
    spaceWrites: false,
  });

beforeAll(async () => {
  github = await startFakeGitHub();
  client = clientFor(github.token);
  github.state.addPullRequest({ repo: 'acme/web', number: 7, headSha: SHA, author: 'alice' });
});
afterAll(() => github.close());
beforeEach(() => {
  github.requests.length = 0;
  github.rejections.length = 0;
});

describe('GitHub client against the fake GitHub', () => {
  it('sets a commit status with the description cut to 140 characters', async () => {
    await client.setCommitStatus(repo, SHA, {
      state: 'pending',
      context: 'docker-watcher/dev',
      description: 'x'.repeat(300),
      targetUrl: 'https://dw.example/deploys/1',
    });
    const status = github.state.latestStatuses('acme/web', SHA).get('docker-watcher/dev');
    expect(status?.state).toBe('pending');
    expect(status?.description).toHaveLength(140);
    expect(status?.targetUrl).toBe('https://dw.example/deploys/1');
    expect(github.rejections).toEqual([]);
  });

  it('creates the marked comment once, then edits it, finding it on a later page', async () => {
    for (let i = 0; i < 120; i++) github.state.addComment('acme/web', 7, `chatter ${i}`);
    const first = await client.upsertMarkedComment(repo, 7, MARKER, 'version 1');
    for (let i = 0; i < 5; i++) github.state.addComment('acme/web', 7, `more ${i}`);
    const second = await client.upsertMarkedComment(repo, 7, MARKER, 'version 2');
    expect(second).toBe(first);
    const marked = github.state.commentsOn('acme/web', 7).filter((c) => c.body.includes(MARKER));
    expect(marked).toHaveLength(1);
    expect(marked[0]?.body).toContain('version 2');
    expect(
      github.requests
        .filter((r) => r.operationId === 'issues/list-comments')
        .some((r) => r.query.includes('page=2')),
    ).toBe(true);
    expect(github.rejections).toEqual([]);
  });

  it('replies, reacts, reads a pull request', async () => {
    const id = await client.createComment(repo, 7, 'deploying');
    await client.addReaction(repo, id, 'rocket');
    expect(github.state.reactions).toContainEqual(
      expect.objectContaining({ commentId: id, content: 'rocket' }),
    );
    expect(await client.getPullRequest(repo, 7)).toEqual({
      number: 7,
      headSha: SHA,
      author: 'alice',
      state: 'open',
    });
  });

  it('maps roles to permissions: maintain is write, triage is read, unknown user none', async () => {
    for (const [user, role] of [
      ['a', 'admin'],
      ['m', 'maintain'],
      ['w', 'write'],
      ['t', 'triage'],
      ['r', 'read'],
    ] as const) {
      github.state.setPermission('acme/web', user, role);
    }
    const got = await Promise.all(
      ['a', 'm', 'w', 't', 'r', 'nobody'].map((u) => client.userPermission(repo, u)),
    );
    expect(got).toEqual(['admin', 'write', 'write', 'read', 'read', 'none']);
  });

  it('creates a deployment that our own pending status cannot block, and its statuses', async () => {
    const id = await client.createDeployment!(repo, {
      ref: SHA,
      environment: 'dev',
      description: 'web:1.2 to dev',
    });
    await client.createDeploymentStatus!(repo, id, {
      state: 'in_progress',
      logUrl: 'https://dw.example/deploys/1',
    });
    await client.createDeploymentStatus!(repo, id, {
      state: 'success',
      environmentUrl: 'https://dev.example',
    });
    const body = github.requests.find((r) => r.operationId === 'repos/create-deployment')?.body;
    expect(body).toMatchObject({ ref: SHA, environment: 'dev', auto_merge: false, required_contexts: [] });
    expect(github.state.deployments.get(id)?.statuses.map((s) => s.state)).toEqual([
      'in_progress',
      'success',
    ]);
    expect(github.rejections).toEqual([]);
  });

  it('turns a refused token into an ExternalError without the token', async () => {
    const error = await clientFor('ghp_wrong_secret_value')
      .getPullRequest(repo, 7)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as ExternalError).status).toBe(401);
    expect((error as Error).message).toMatch(/Bad credentials/);
    expect((error as Error).message).not.toContain('ghp_wrong_secret_value');
  });

  it('names the repository on a 404 and retries server errors', async () => {
    await expect(client.getPullRequest(repo, 999)).rejects.toThrow(/acme\/web.*404/);
    github.failNext(2, 502);
    await client.setCommitStatus(repo, SHA, {
      state: 'success',
      context: 'docker-watcher/dev',
      description: 'ok',
    });
    expect(github.requests.map((r) => r.status)).toEqual([404, 502, 502, 201]);
  });

  it('ends a retry wait when the signal aborts, and sends nothing more (shutdown)', async () => {
    const slow = createGitHubClient({
      baseUrl: github.apiUrl,
      token: github.token,
      logger: silentLogger,
      retryBaseMs: 10_000,
      spaceWrites: false,
    });
    github.failNext(1, 502);
    const stop = new AbortController();
    const started = Date.now();
    const sending = slow.setCommitStatus(
      repo,
      SHA,
      { state: 'success', context: 'docker-watcher/dev', description: 'ok' },
      stop.signal,
    );
    // Abort once the 502 was answered, while the client waits out its 10 s retry pause.
    while (github.requests.length === 0 && Date.now() - started < 5_000)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const aborted = Date.now();
    stop.abort(new Error('shutting down'));
    await expect(sending).rejects.toThrow('shutting down');
    expect(Date.now() - aborted).toBeLessThan(2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(github.requests.map((r) => r.status)).toEqual([502]);
  });

  it('waits out a rate limit and tries again', async () => {
    const reset = String(Math.floor(Date.now() / 1000));
    github.failNext(1, 403, 'API rate limit exceeded', {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': reset,
    });
    await client.setCommitStatus(repo, SHA, {
      state: 'success',
      context: 'docker-watcher/rel',
      description: 'ok',
    });
    expect(github.requests.map((r) => r.status)).toEqual([403, 201]);
  });
});
