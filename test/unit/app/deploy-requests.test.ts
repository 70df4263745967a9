import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../../src/log/logger.js';
import { API_TOKEN, appFixture, GLOBAL_SECRET, SHOP_SECRET } from '../../fakes/app-fixture.js';
import { signedPost, webDeployBody } from '../../helpers/signed-request.js';

const shopBody = () => webDeployBody({ project: 'shop', image: '127.0.0.1:5000/acme/shop' });

describe('POST /api/deploys', () => {
  it('accepts a signed request: 202 with id, status, stage, links and a follow token', async () => {
    const { app, deploys } = appFixture();
    const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()));
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'queued', stage: 'dev' });
    expect(body.urls).toEqual({
      self: `http://localhost/api/deploys/${body.id}`,
      events: `http://localhost/api/deploys/${body.id}/events`,
      dashboard: `http://localhost/deploys/${body.id}`,
    });
    expect(body.followToken).toMatch(/^dwf1\./);
    expect(deploys.submitted).toEqual([
      expect.objectContaining({
        project: 'web',
        stage: 'dev',
        tag: 'dev-42',
        trigger: 'ci',
        image: '127.0.0.1:5000/acme/web',
      }),
    ]);
    expect(deploys.submitted[0]!.source).toMatchObject({ repository: 'acme/web', pr: 7 });
  });

  it('answers 202 awaiting_approval when the stage wants confirmation', async () => {
    const { app } = appFixture({ needsApproval: (intent) => intent.stage === 'prod' });
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'v1.2.0' })),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'awaiting_approval', stage: 'prod' });
  });

  it('refuses a body that is not JSON with 415', async () => {
    const { app, deploys } = appFixture();
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody(), { contentType: 'text/plain' }),
    );
    expect(res.status).toBe(415);
    expect((await res.json()).error).toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringContaining('text/plain'),
    });
    expect(deploys.submitted).toHaveLength(0);
  });

  it('refuses a body over 64 KiB with 413, also when no Content-Length says so', async () => {
    const { app } = appFixture();
    const big = webDeployBody({ padding: 'x'.repeat(70_000) });
    expect((await app.request('/api/deploys', signedPost(GLOBAL_SECRET, big))).status).toBe(413);

    const raw = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < raw.length; i += 8192) controller.enqueue(raw.slice(i, i + 8192));
        controller.close();
      },
    });
    const init = signedPost(GLOBAL_SECRET, big);
    const res = await app.request('/api/deploys', { ...init, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('refuses a wrong secret, a tampered body and missing headers with 401', async () => {
    const { app, deploys } = appFixture();
    expect((await app.request('/api/deploys', signedPost('wrong', webDeployBody()))).status).toBe(401);

    const init = signedPost(GLOBAL_SECRET, webDeployBody());
    const tampered = JSON.stringify(webDeployBody({ tag: 'dev-43' }));
    const res = await app.request('/api/deploys', { ...init, body: tampered });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('does not match'),
    });

    const unsigned = await app.request('/api/deploys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webDeployBody()),
    });
    expect(unsigned.status).toBe(401);
    expect(deploys.submitted).toHaveLength(0);
  });

  it('refuses a stale timestamp with 401', async () => {
    const { app } = appFixture();
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody(), { now: new Date(Date.now() - 600_000) }),
    );
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toContain('away from the app');
  });

  it('deploys a project with its own secret only with that secret', async () => {
    const { app, deploys } = appFixture();
    const withGlobal = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, shopBody()));
    expect(withGlobal.status).toBe(401);
    const withOwn = await app.request('/api/deploys', signedPost(SHOP_SECRET, shopBody()));
    expect(withOwn.status).toBe(202);
    expect(deploys.submitted.map((intent) => intent.project)).toEqual(['shop']);
  });

  it("does not let one project's secret deploy another project", async () => {
    const { app, deploys } = appFixture();
    const res = await app.request('/api/deploys', signedPost(SHOP_SECRET, webDeployBody()));
    expect(res.status).toBe(401);
    expect(deploys.submitted).toHaveLength(0);
  });

  it('refuses a replayed delivery id with 409 and names the deploy it made', async () => {
    const { app, deploys } = appFixture();
    const deliveryId = crypto.randomUUID();
    const first = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody(), { deliveryId }),
    );
    const { id } = await first.json();
    const replay = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody(), { deliveryId }),
    );
    expect(replay.status).toBe(409);
    const body = await replay.json();
    expect(body.error).toMatchObject({ code: 'replayed_delivery', deploy: { id } });
    expect(body.error.deploy.followToken).toBeUndefined();
    expect(deploys.submitted).toHaveLength(1);
  });

  it('forgets a delivery and the deploy it started once its timestamp window has passed', async () => {
    let now = new Date('2026-11-23T10:00:00.000Z');
    const clock = { now: () => now, sleep: () => Promise.resolve() };
    const { app, store } = appFixture({ clock });
    const deliveryId = crypto.randomUUID();
    const init = () => signedPost(GLOBAL_SECRET, webDeployBody(), { deliveryId, now });
    const { id } = await (await app.request('/api/deploys', init())).json();
    expect(store.claimed('delivery', deliveryId, now)).toBe(id);

    now = new Date(now.getTime() + 9 * 60_000);
    expect((await app.request('/api/deploys', init())).status).toBe(409);
    now = new Date(now.getTime() + 2 * 60_000);
    // Another request 11 minutes on: the old id is out of its window and both records are gone.
    const later = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody(), { now }));
    expect(later.status).toBe(202);
    expect(store.claimed('delivery', deliveryId, now)).toBeUndefined();
    expect(store.claimOnce('delivery', deliveryId, 1000, now)).toBe(true);
  });

  it('remembers delivery ids across a restart of the app', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-replay-'));
    try {
      const storePath = join(dir, 'state.db');
      const deliveryId = crypto.randomUUID();
      const first = appFixture({ storePath });
      const res = await first.app.request(
        '/api/deploys',
        signedPost(GLOBAL_SECRET, webDeployBody(), { deliveryId }),
      );
      expect(res.status).toBe(202);
      first.store.close();
      const second = appFixture({ storePath });
      const replay = await second.app.request(
        '/api/deploys',
        signedPost(GLOBAL_SECRET, webDeployBody(), { deliveryId }),
      );
      expect(replay.status).toBe(409);
      second.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 400 with field errors for an invalid body', async () => {
    const { app } = appFixture();
    const body = webDeployBody({ tag: '-bad', digest: 'sha256:nothex', source: { forge: 'svn' } });
    const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, body));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(error.code).toBe('invalid_request');
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['tag', 'digest', 'source.forge', 'source.repository']));
  });

  it('answers 400 for signed bytes that are not JSON', async () => {
    const { app } = appFixture();
    expect((await app.request('/api/deploys', signedPost(GLOBAL_SECRET, '{not json'))).status).toBe(400);
  });

  it('answers 404 for an unknown project', async () => {
    const { app } = appFixture();
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody({ project: 'nope' })),
    );
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toContain('"nope"');
  });

  it("answers 422 when the image is not the project's", async () => {
    const { app } = appFixture();
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody({ image: 'evil.test/acme/web' })),
    );
    expect(res.status).toBe(422);
    expect((await res.json()).error.message).toContain('127.0.0.1:5000/acme/web');
  });

  it('answers 422 listing the stages when the tag matches none', async () => {
    const { app } = appFixture();
    const res = await app.request(
      '/api/deploys',
      signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'feature-x' })),
    );
    expect(res.status).toBe(422);
    const { message } = (await res.json()).error;
    expect(message).toContain('dev (dev-*)');
    expect(message).toContain('prod (v*)');
  });

  it('logs one line per request with deploy id and project, never the signature', async () => {
    const lines: string[] = [];
    const { app } = appFixture({ logger: createJsonLogger({ write: (line) => lines.push(line) }) });
    const init = signedPost(GLOBAL_SECRET, webDeployBody());
    const res = await app.request('/api/deploys', init);
    const { id } = await res.json();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'request',
      method: 'POST',
      status: 202,
      deployId: id,
      project: 'web',
      stage: 'dev',
    });
    const signature = (init.headers as Record<string, string>)['X-Docker-Watcher-Signature']!;
    expect(lines[0]).not.toContain(signature.slice(7));
    expect(lines[0]).not.toContain(API_TOKEN);
  });
  it.each(['../admin', 'acme/..', 'acme/web/../../admin', '.../x/y'])(
    'refuses a source.repository %j that could walk the forge API (400), before any report',
    async (repository) => {
      const { app, deploys } = appFixture();
      const body = webDeployBody();
      body['source'] = { ...(body['source'] as object), repository };
      const res = await app.request('/api/deploys', signedPost(GLOBAL_SECRET, body));
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/source\.repository/);
      expect(deploys.submitted).toEqual([]);
    },
  );
});
