import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { ForgeClient } from '../../../src/forge/forge.js';
import { createGiteaClient } from '../../../src/forge/gitea-client.js';
import { startFakeGitea, type FakeGitea } from '../../fakes/gitea/fake-gitea.js';

const repo = { owner: 'alexei', repo: 'launcher' };
const SHA = 'b'.repeat(40);
const MARKER = '<!-- docker-watcher:pr-comment -->';

let gitea: FakeGitea;
let client: ForgeClient;

beforeAll(async () => {
  gitea = await startFakeGitea();
  client = createGiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token, logger: silentLogger });
  gitea.state.addPullRequest({ repo: 'alexei/launcher', number: 3, headSha: SHA, author: 'bob' });
});
afterAll(() => gitea.close());
beforeEach(() => {
  gitea.requests.length = 0;
  gitea.rejections.length = 0;
  gitea.tokenIsRepoAdmin(true);
});

describe('Gitea client against the fake Gitea', () => {
  it('sets a commit status with a cut description and has no deployments API', async () => {
    await client.setCommitStatus(repo, SHA, {
      state: 'failure',
      context: 'docker-watcher/prod',
      description: 'y'.repeat(200),
    });
    const status = gitea.state.latestStatuses('alexei/launcher', SHA).get('docker-watcher/prod');
    expect(status?.state).toBe('failure');
    expect(status?.description).toHaveLength(140);
    expect('createDeployment' in client).toBe(false);
    expect(gitea.rejections).toEqual([]);
  });

  it('keeps one marked comment per PR', async () => {
    gitea.state.addComment('alexei/launcher', 3, 'looks good');
    const first = await client.upsertMarkedComment(repo, 3, MARKER, 'table v1');
    const second = await client.upsertMarkedComment(repo, 3, MARKER, 'table v2');
    expect(second).toBe(first);
    const marked = gitea.state.commentsOn('alexei/launcher', 3).filter((c) => c.body.includes(MARKER));
    expect(marked.map((c) => c.body)).toEqual([`${MARKER}\ntable v2`]);
    expect(gitea.requests.map((r) => r.operationId)).toEqual([
      'issueGetComments',
      'issueCreateComment',
      'issueGetComments',
      'issueEditComment',
    ]);
  });

  it('replies, reacts, reads a pull request, sends `token` authorization', async () => {
    const id = await client.createComment(repo, 3, 'on it');
    await client.addReaction(repo, id, 'eyes');
    expect(gitea.state.reactions).toContainEqual(expect.objectContaining({ commentId: id, content: 'eyes' }));
    expect(await client.getPullRequest(repo, 3)).toEqual({
      number: 3,
      headSha: SHA,
      author: 'bob',
      state: 'open',
    });
  });

  it('reads permissions (owner is admin) and explains the 403 of a token without repo admin', async () => {
    gitea.state.setPermission('alexei/launcher', 'alexei', 'owner');
    gitea.state.setPermission('alexei/launcher', 'carol', 'write');
    expect(await client.userPermission(repo, 'alexei')).toBe('admin');
    expect(await client.userPermission(repo, 'carol')).toBe('write');
    expect(await client.userPermission(repo, 'stranger')).toBe('none');
    gitea.tokenIsRepoAdmin(false);
    const error = await client.userPermission(repo, 'carol').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as ExternalError).status).toBe(403);
    expect((error as Error).message).toMatch(/admin rights on the repository/);
  });

  it('turns a refused token and an unreachable server into ExternalErrors without the token', async () => {
    const wrong = createGiteaClient({
      apiUrl: gitea.apiUrl,
      token: 'secret-wrong-token',
      logger: silentLogger,
    });
    const refused = await wrong.getPullRequest(repo, 3).catch((e: unknown) => e);
    expect((refused as ExternalError).status).toBe(401);
    expect((refused as Error).message).not.toContain('secret-wrong-token');
    gitea.setDown(true);
    try {
      const down = await client.getPullRequest(repo, 3).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(ExternalError);
      expect((down as Error).message).toMatch(/alexei\/launcher.*reachable/);
    } finally {
      gitea.setDown(false);
    }
  });
});
