import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitea, type FakeGitea } from '../../fakes/gitea/fake-gitea.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/fake-github.js';

/** The fakes must refuse what the real API descriptions forbid, or client tests prove nothing. */
let github: FakeGitHub;
let gitea: FakeGitea;
beforeAll(async () => {
  [github, gitea] = await Promise.all([startFakeGitHub(), startFakeGitea()]);
  github.state.addPullRequest({ repo: 'o/r', number: 1, headSha: 'c'.repeat(40), author: 'a' });
  gitea.state.addPullRequest({ repo: 'o/r', number: 1, headSha: 'c'.repeat(40), author: 'a' });
});
afterAll(() => Promise.all([github.close(), gitea.close()]));

const send = (url: string, auth: string, method: string, body?: unknown) =>
  fetch(url, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('fake GitHub validates against @octokit/openapi', () => {
  const post = (path: string, body: unknown) =>
    send(`${github.url}${path}`, `token ${github.token}`, 'POST', body);

  it.each([
    ['a status state GitHub does not know', '/repos/o/r/statuses/abc', { state: 'running' }],
    ['a description that is not a string', '/repos/o/r/statuses/abc', { state: 'success', description: 42 }],
    ['a status without state', '/repos/o/r/statuses/abc', { context: 'x' }],
    ['a comment without body', '/repos/o/r/issues/1/comments', {}],
    ['a reaction GitHub does not have', '/repos/o/r/issues/comments/1/reactions', { content: 'thumbsup' }],
    ['a deployment without ref', '/repos/o/r/deployments', { environment: 'dev' }],
  ])('refuses %s with 422 Validation Failed', async (_what, path, body) => {
    const response = await post(path, body);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      message: 'Validation Failed',
      errors: [expect.objectContaining({ code: 'invalid' })],
    });
  });

  it('accepts a null description and target_url (nullable in the spec)', async () => {
    const response = await post('/repos/o/r/statuses/abc', {
      state: 'success',
      description: null,
      target_url: null,
    });
    expect(response.status).toBe(201);
  });

  it('refuses a bad token, an unknown path and a query parameter the spec lacks', async () => {
    expect((await send(`${github.url}/repos/o/r/pulls/1`, 'token nope', 'GET')).status).toBe(401);
    expect((await send(`${github.url}/repos/o/r/nothing-here`, `token ${github.token}`, 'GET')).status).toBe(
      404,
    );
    const bad = await send(
      `${github.url}/repos/o/r/issues/1/comments?per_page=lots`,
      `token ${github.token}`,
      'GET',
    );
    expect(bad.status).toBe(422);
  });
});

describe('fake Gitea validates against swagger.v1.json', () => {
  const post = (path: string, body: unknown) =>
    send(`${gitea.apiUrl}${path}`, `token ${gitea.token}`, 'POST', body);

  it.each([
    ['a status state Gitea does not know', '/repos/o/r/statuses/abc', { state: 'running' }],
    ['a null description', '/repos/o/r/statuses/abc', { state: 'success', description: null }],
    ['a comment without body', '/repos/o/r/issues/1/comments', {}],
  ])("refuses %s with Gitea's error shape", async (_what, path, body) => {
    const response = await post(path, body);
    expect(response.status).toBe(422);
    expect(Object.keys((await response.json()) as object).sort()).toEqual(['message', 'url']);
  });

  it('refuses paging parameters the comment list does not have, and a missing token', async () => {
    const paged = await send(
      `${gitea.apiUrl}/repos/o/r/issues/1/comments?page=2`,
      `token ${gitea.token}`,
      'GET',
    );
    expect(paged.status).toBe(422);
    expect((await send(`${gitea.apiUrl}/repos/o/r/pulls/1`, '', 'GET')).status).toBe(401);
  });
});
