import { describe, expect, it } from 'vitest';
import { createFollowToken } from '../../../src/protocol/follow-token.js';
import { API_TOKEN, appFixture, GLOBAL_SECRET, SHOP_SECRET } from '../../fakes/app-fixture.js';
import { signedGetHeaders, signedPost, webDeployBody } from '../../helpers/signed-request.js';

const bearer = (token = API_TOKEN) => ({ headers: { authorization: `Bearer ${token}` } });

async function deployWeb(app: ReturnType<typeof appFixture>['app']) {
  const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()));
  return (await res.json()) as { id: string; followToken: string };
}

describe('reads and manual actions', () => {
  it('needs auth on every read, but not on /healthz', async () => {
    const { app } = appFixture();
    for (const path of [
      '/api/deploys',
      '/api/projects',
      '/api/projects/web',
      '/api/projects/web/stages/dev',
      '/api/version',
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect((await app.request(path, bearer('wrong-token'))).status, path).toBe(401);
      expect((await app.request(path, bearer())).status, path).toBe(200);
    }
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', store: 'ok' });
  });

  it('says on /healthz that reconcile is still running (200: the app listens meanwhile), 503 when it failed', async () => {
    let startup: 'reconciling' | 'ready' | 'reconcile-failed' = 'reconciling';
    const { app } = appFixture({ startup: () => startup });
    const during = await app.request('/healthz');
    expect([during.status, await during.json()]).toEqual([200, { status: 'reconciling', store: 'ok' }]);
    startup = 'ready';
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok', store: 'ok' });
    startup = 'reconcile-failed';
    const failed = await app.request('/healthz');
    expect([failed.status, await failed.json()]).toEqual([
      503,
      { status: 'degraded', store: 'ok', reconcile: 'failed' },
    ]);
  });

  it('reports a failing store on /healthz with 503', async () => {
    const { app, store } = appFixture();
    store.close();
    expect((await app.request('/healthz')).status).toBe(503);
  });

  it('lists deploys with filters and validates the query', async () => {
    const { app } = appFixture();
    const { id } = await deployWeb(app);
    await app.request(
      '/api/deploys',
      signedPost(SHOP_SECRET, webDeployBody({ project: 'shop', image: '127.0.0.1:5000/acme/shop' })),
    );
    const all = await (await app.request('/api/deploys', bearer())).json();
    expect(all.deploys).toHaveLength(2);
    const web = (await (await app.request('/api/deploys?project=web&limit=5', bearer())).json()) as {
      deploys: { id: string }[];
    };
    expect(web.deploys.map((d) => d.id)).toEqual([id]);
    const bad = await app.request('/api/deploys?limit=0', bearer());
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.issues[0].path).toBe('limit');
  });

  it('shows one deploy to the API token and to its own follow token only', async () => {
    const { app } = appFixture();
    const first = await deployWeb(app);
    const second = await deployWeb(app);
    expect((await app.request(`/api/deploys/${first.id}`, bearer())).status).toBe(200);
    const own = await app.request(`/api/deploys/${first.id}`, bearer(first.followToken));
    expect(own.status).toBe(200);
    expect((await own.json()).deploy).toMatchObject({ id: first.id, project: 'web', stage: 'dev' });
    expect((await app.request(`/api/deploys/${second.id}`, bearer(first.followToken))).status).toBe(401);
    expect((await app.request('/api/deploys', bearer(first.followToken))).status).toBe(401);
    const expired = createFollowToken(GLOBAL_SECRET, first.id, new Date(Date.now() - 1000));
    expect((await app.request(`/api/deploys/${first.id}`, bearer(expired))).status).toBe(401);
    expect((await app.request('/api/deploys/nope', bearer())).status).toBe(404);
  });

  it("accepts a signed GET on a project route, with that project's secret only", async () => {
    const { app } = appFixture();
    expect(
      (
        await app.request('/api/projects/shop', {
          headers: signedGetHeaders(SHOP_SECRET, '/api/projects/shop'),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await app.request('/api/projects/shop', {
          headers: signedGetHeaders(GLOBAL_SECRET, '/api/projects/shop'),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await app.request('/api/projects/web', {
          headers: signedGetHeaders(SHOP_SECRET, '/api/projects/web'),
        })
      ).status,
    ).toBe(401);
    expect(
      (await app.request('/api/projects', { headers: signedGetHeaders(GLOBAL_SECRET, '/api/projects') }))
        .status,
    ).toBe(401);
    const headers = signedGetHeaders(GLOBAL_SECRET, '/api/projects/web');
    expect((await app.request('/api/projects/web', { headers })).status).toBe(200);
    expect((await app.request('/api/projects/web', { headers })).status).toBe(409);
  });

  it('summarises projects and stages without env values', async () => {
    const { app } = appFixture();
    await deployWeb(app);
    const { project } = (await (await app.request('/api/projects/web', bearer())).json()) as {
      project: { stages: { name: string; domain: string }[] };
    };
    expect(project.stages.map((s) => [s.name, s.domain])).toEqual([
      ['dev', 'stage-dev-web.example.test'],
      ['prod', 'www.example.test'],
    ]);
    const stage = await (await app.request('/api/projects/web/stages/dev', bearer())).json();
    expect(stage).toMatchObject({ project: 'web', stage: { name: 'dev', tagPattern: 'dev-*', live: null } });
    expect(stage.history).toHaveLength(1);
    expect((await app.request('/api/projects/web/stages/qa', bearer())).status).toBe(404);
    expect((await app.request('/api/projects/none', bearer())).status).toBe(404);
  });

  it('lists every project with its stages, policies, domains and live versions (one per stage, null without)', async () => {
    const { app, store } = appFixture();
    const live = (project: string, stage: string, tag: string) => ({
      project,
      stage,
      deployId: `d-${project}-${stage}`,
      tag,
      image: `127.0.0.1:5000/acme/${project}`,
      imageRef: `127.0.0.1:5000/acme/${project}:${tag}`,
      containerId: `c-${project}-${stage}`,
      containerName: `${project}-${stage}`,
      since: '2026-01-02T03:04:05.000Z',
    });
    store.setLive({ ...live('web', 'prod', 'v1.2.0'), digest: `sha256:${'b'.repeat(64)}` });
    store.setLive(live('shop', 'dev', 'dev-7'));
    const res = await app.request('/api/projects', bearer());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      projects: [
        {
          name: 'web',
          image: '127.0.0.1:5000/acme/web',
          port: 8080,
          healthcheck: '/',
          ownSecret: false,
          stages: [
            {
              name: 'dev',
              tagPattern: 'dev-*',
              autoDeploy: true,
              confirm: false,
              domain: 'stage-dev-web.example.test',
              live: null,
            },
            {
              name: 'prod',
              tagPattern: 'v*',
              autoDeploy: false,
              confirm: true,
              domain: 'www.example.test',
              live: { ...live('web', 'prod', 'v1.2.0'), digest: `sha256:${'b'.repeat(64)}` },
            },
          ],
        },
        {
          name: 'shop',
          image: '127.0.0.1:5000/acme/shop',
          port: 3000,
          healthcheck: '/',
          ownSecret: true,
          stages: [
            {
              name: 'dev',
              tagPattern: 'dev-*',
              autoDeploy: true,
              confirm: false,
              domain: 'stage-dev-shop.example.test',
              live: live('shop', 'dev', 'dev-7'),
            },
          ],
        },
      ],
    });
  });

  it('deploys manually with the token and checks the tag against the stage', async () => {
    const { app, deploys } = appFixture();
    const post = (body: unknown) => ({
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const ok = await app.request('/api/projects/web/stages/dev/deploy', post({ tag: 'dev-7' }));
    expect(ok.status).toBe(202);
    expect(deploys.submitted[0]).toMatchObject({
      trigger: 'manual',
      tag: 'dev-7',
      stage: 'dev',
      requestedBy: 'api-token',
    });
    expect((await app.request('/api/projects/web/stages/dev/deploy', post({ tag: 'v1' }))).status).toBe(422);
    expect((await app.request('/api/projects/web/stages/dev/deploy', post({ tag: '' }))).status).toBe(400);
    const unauthenticated = await app.request('/api/projects/web/stages/dev/deploy', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"tag":"dev-8"}',
    });
    expect(unauthenticated.status).toBe(401);
    const signed = await app.request(
      '/api/projects/web/stages/dev/deploy',
      signedPost(GLOBAL_SECRET, { tag: 'dev-9' }, { path: '/api/projects/web/stages/dev/deploy' }),
    );
    expect(signed.status).toBe(202);
    expect(deploys.submitted.map((intent) => intent.tag)).toEqual(['dev-7', 'dev-9']);
  });

  it('approves only with the API token, not with a signed request', async () => {
    const { app, deploys } = appFixture({ needsApproval: () => true });
    const { id } = await deployWeb(app);
    const signed = await app.request(
      `/api/deploys/${id}/approve`,
      signedPost(GLOBAL_SECRET, '', { path: `/api/deploys/${id}/approve` }),
    );
    expect(signed.status).toBe(403);
    expect((await signed.json()).error.message).toMatch(
      /may not approve: only the API token or a dashboard session/,
    );
    const res = await app.request(`/api/deploys/${id}/approve`, { method: 'POST', ...bearer() });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id, status: 'queued' });
    expect(deploys.approvals).toEqual([{ id, by: 'api-token' }]);
  });

  it('rolls back through the deploy service and maps its ConflictError', async () => {
    const { app, deploys } = appFixture();
    const refused = await app.request('/api/projects/web/stages/dev/rollback', {
      method: 'POST',
      ...bearer(),
    });
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.code).toBe('unprocessable');
    const { id } = await deployWeb(app);
    await deploys.run(id);
    const res = await app.request('/api/projects/web/stages/dev/rollback', { method: 'POST', ...bearer() });
    expect(res.status).toBe(202);
    expect(deploys.submitted.at(-1)).toMatchObject({ trigger: 'rollback', rollbackOf: id });
  });

  it('answers unknown routes with 404 JSON', async () => {
    const { app } = appFixture();
    const res = await app.request('/api/nothing');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });

  it('hides internal errors behind a 500 without details', async () => {
    const { app, deploys } = appFixture();
    deploys.submit = () => {
      throw new Error('database password=hunter2 leaked');
    };
    const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text).error.code).toBe('internal');
  });
});
