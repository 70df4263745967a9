import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { PERMISSIONS } from '../../../src/core/permissions.js';
import { initialStatus } from '../../../src/deploy/deploy-policy.js';
import { createFollowToken } from '../../../src/protocol/follow-token.js';
import type { ImageTagList } from '../../../src/registry/image-tags.js';
import { API_TOKEN, appFixture, GLOBAL_SECRET, TEST_CONFIG } from '../../fakes/app-fixture.js';
import { signedGetHeaders, signedPost, webDeployBody } from '../../helpers/signed-request.js';

const bearer = { authorization: `Bearer ${API_TOKEN}` };
const config = configSchema.parse(TEST_CONFIG);
/** The fake deploy service with the real stage policy (web/prod has confirm: true). */
const withPolicy = () =>
  appFixture({
    autoRun: true,
    needsApproval: (intent) => initialStatus(config, intent) === 'awaiting_approval',
  });

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { message: string } }).error.message;
}

describe('principals: the signing secret deploys, only people approve', () => {
  it('parks a signed manual deploy to a stage that needs approval (the attack: it used to run)', async () => {
    const { app, deploys, store } = withPolicy();
    const path = '/api/projects/web/stages/prod/deploy';
    const res = await app.request(path, signedPost(GLOBAL_SECRET, { tag: 'v6.6.6' }, { path }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string };
    expect(body.status).toBe('awaiting_approval');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const record = store.getDeploy(body.id)!;
    expect(record.status).toBe('awaiting_approval');
    expect(record.approvedBy).toBeUndefined();
    expect(record.intent).toMatchObject({ trigger: 'ci', requestedBy: 'signed-request' });
    expect(deploys.approvals).toEqual([]);
    // The same request with the API token is a person's decision and runs.
    const byOperator = await app.request(path, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: '{"tag":"v1.0.0"}',
    });
    expect(((await byOperator.json()) as { status: string }).status).toBe('queued');
  });

  it('refuses a signed rollback of a stage that needs approval with 403 naming who may', async () => {
    const { app, deploys } = withPolicy();
    const path = '/api/projects/web/stages/prod/rollback';
    const res = await app.request(path, { ...signedPost(GLOBAL_SECRET, '', { path }), body: '' });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatch(
      /a signed CI request may not rollback on a stage that needs approval: only the API token or a dashboard session or a PR comment/,
    );
    expect(deploys.submitted).toEqual([]);
    // On a stage without approval, CI may roll back (here: nothing to roll back to, 422).
    const dev = '/api/projects/web/stages/dev/rollback';
    expect(
      (await app.request(dev, { ...signedPost(GLOBAL_SECRET, '', { path: dev }), body: '' })).status,
    ).toBe(422);
  });

  it('refuses a signature made for another route, method or project (401)', async () => {
    const { app, deploys } = withPolicy();
    const forDev = signedPost(
      GLOBAL_SECRET,
      { tag: 'v6.6.6' },
      { path: '/api/projects/web/stages/dev/deploy' },
    );
    const moved = await app.request('/api/projects/web/stages/prod/deploy', forDev);
    expect(moved.status).toBe(401);
    expect(await errorOf(moved)).toMatch(/signed for this method and path/);
    const asGet = signedPost(GLOBAL_SECRET, '', { method: 'GET', path: '/api/projects/web' });
    const posted = await app.request('/api/projects/web/stages/dev/rollback', {
      ...asGet,
      method: 'POST',
      body: '',
    });
    expect(posted.status).toBe(401);
    const otherKey = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody(), { key: 'shop' }),
    );
    expect(otherKey.status).toBe(401);
    expect(deploys.submitted).toEqual([]);
  });

  it('chooses the secret from the signature header, never from the unverified body', async () => {
    const { app } = withPolicy();
    const parse = JSON.parse;
    let parsedBeforeVerify = 0;
    JSON.parse = ((text: string, ...rest: []) => {
      parsedBeforeVerify++;
      return parse(text, ...rest) as unknown;
    }) as typeof JSON.parse;
    try {
      const res = await app.request('/api/deploys', signedPost('wrong-secret', webDeployBody()));
      expect(res.status).toBe(401);
    } finally {
      JSON.parse = parse;
    }
    expect(parsedBeforeVerify).toBe(0);
  });

  it('answers 401 before 404: an unauthenticated caller learns nothing about names', async () => {
    const { app } = withPolicy();
    for (const path of [
      '/api/projects/nope',
      '/api/projects/web/stages/nope',
      '/api/projects/nope/stages/dev/stats',
      '/api/deploys/nope',
      '/api/deploys/nope/events',
    ]) {
      expect((await app.request(path)).status, path).toBe(401);
    }
    for (const path of ['/api/projects/nope/stages/dev/deploy', '/api/deploys/nope/approve']) {
      const res = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status, path).toBe(401);
    }
    expect((await app.request('/api/projects/nope', { headers: bearer })).status).toBe(404);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats the Object.prototype name %s as an unknown project or stage (404, never 500)',
    async (name) => {
      const { app } = withPolicy();
      const stage = await app.request(`/api/projects/web/stages/${name}`, { headers: bearer });
      expect(stage.status).toBe(404);
      expect(await errorOf(stage)).toMatch(/unknown stage/);
      expect((await app.request(`/api/projects/${name}`, { headers: bearer })).status).toBe(404);
      const deploy = await app.request(`/api/projects/web/stages/${name}/deploy`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: '{"tag":"v1"}',
      });
      expect(deploy.status).toBe(404);
      const signedStage = await app.request(
        '/api/deploys',
        signedPost(GLOBAL_SECRET, webDeployBody({ stage: name })),
      );
      // A body's names must look like config names (400); one that does is looked up as own property.
      expect(signedStage.status).toBe(/^[a-z]+$/i.test(name) ? 404 : 400);
      expect(await errorOf(signedStage)).toMatch(/^[a-z]+$/i.test(name) ? /unknown stage/ : /invalid/);
      const signedProject = await app.request(
        '/api/deploys',
        signedPost(GLOBAL_SECRET, webDeployBody({ project: name }), { key: 'constructor' }),
      );
      expect([400, 401, 404]).toContain(signedProject.status);
    },
  );

  it('caps the lifetime of a follow token whatever expiry it carries', async () => {
    const { app } = withPolicy();
    const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()));
    const { id, followToken } = (await res.json()) as { id: string; followToken: string };
    const ok = await app.request(`/api/deploys/${id}`, {
      headers: { authorization: `Bearer ${followToken}` },
    });
    expect(ok.status).toBe(200);
    const forever = createFollowToken(GLOBAL_SECRET, id, new Date('2999-01-01T00:00:00Z'));
    const refused = await app.request(`/api/deploys/${id}`, {
      headers: { authorization: `Bearer ${forever}` },
    });
    expect(refused.status).toBe(401);
  });

  it('lets a follow token read its deploy but never approve it', async () => {
    const { app } = withPolicy();
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'v2.0.0' })),
    );
    const { id, followToken } = (await res.json()) as { id: string; followToken: string };
    const approve = await app.request(`/api/deploys/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${followToken}` },
    });
    expect(approve.status).toBe(403);
  });

  it('keeps the routes of issue 18 in the permission table: promote, tags, changes', async () => {
    const tags: ImageTagList = { tags: [], more: 0 };
    const { app, deploys } = appFixture({ deps: { imageTags: () => Promise.resolve(tags) } });
    // A promotion is a person's decision: a valid CI signature for the route is refused (403).
    const promote = '/api/projects/web/stages/prod/promote';
    const signed = await app.request(promote, {
      ...signedPost(GLOBAL_SECRET, '', { path: promote }),
      body: '',
    });
    expect(signed.status).toBe(403);
    expect(await errorOf(signed)).toMatch(/a signed CI request may not promote: only the API token/);
    expect(deploys.submitted).toEqual([]);
    // 401 before 404 on the new routes too.
    expect((await app.request('/api/projects/nope/tags')).status).toBe(401);
    expect((await app.request('/api/projects/nope/stages/prod/promote', { method: 'POST' })).status).toBe(
      401,
    );
    expect((await app.request('/api/changes')).status).toBe(401);
    expect((await app.request('/api/projects/nope/tags', { headers: bearer })).status).toBe(404);
    expect((await app.request('/api/projects/constructor/tags', { headers: bearer })).status).toBe(404);
    // The project's CI may read its image's tags; a signature cannot open the all-projects feed.
    const own = await app.request('/api/projects/web/tags', {
      headers: signedGetHeaders(GLOBAL_SECRET, '/api/projects/web/tags'),
    });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual(tags);
    const feed = await app.request('/api/changes', {
      headers: signedGetHeaders(GLOBAL_SECRET, '/api/changes'),
    });
    expect(feed.status).toBe(401);
  });

  it('needs the API token for /api/version, as the README says', async () => {
    const { app } = withPolicy();
    expect((await app.request('/api/version')).status).toBe(401);
    expect(
      (await app.request('/api/version', { headers: signedGetHeaders(GLOBAL_SECRET, '/api/version') }))
        .status,
    ).toBe(401);
    expect((await app.request('/api/version', { headers: bearer })).status).toBe(200);
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/\| `GET \/api\/version` +\| token +\|/);
  });

  it('the README states the permission table of the code', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const [action, grants] of Object.entries(PERMISSIONS)) {
      const row = `| \`${action}\` | ${grants.ci} | ${grants.operator} | ${grants['forge-user']} |`;
      expect(readme.replace(/ {2,}/g, ' '), action).toContain(row);
    }
  });
});
