import { describe, expect, it } from 'vitest';
import { API_TOKEN, appFixture } from '../../fakes/app-fixture.js';

type App = ReturnType<typeof appFixture>['app'];
const FORM = 'application/x-www-form-urlencoded';
const ORIGIN = 'http://localhost';

function post(path: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  return {
    method: 'POST',
    headers: { 'content-type': FORM, origin: ORIGIN, ...headers },
    body: new URLSearchParams(body).toString(),
  };
}

async function login(app: App): Promise<string> {
  const res = await app.request('/login', post('/login', { token: API_TOKEN, next: '/' }));
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!;
  return cookie.split(';')[0]!;
}

async function csrfOf(app: App, cookie: string, path = '/'): Promise<string> {
  const html = await (await app.request(path, { headers: { cookie } })).text();
  return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
}

describe('dashboard login', () => {
  it('sends every page and action to /login without a session, while the API keeps answering 401', async () => {
    const { app, deploys } = appFixture();
    for (const path of ['/', '/projects/web', '/deploys/nope']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    const action = await app.request(
      '/dashboard-actions/projects/web/stages/dev/rollback',
      post('', { csrf: 'x' }),
    );
    expect(action.status).toBe(303);
    expect(action.headers.get('location')).toBe('/login');
    const api = await app.request('/api/projects');
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/json');
    expect(deploys.submitted).toEqual([]);
  });

  it('sets a signed HttpOnly SameSite=Strict cookie that is not the token, and Secure over https', async () => {
    const { app } = appFixture();
    const res = await app.request('/login', post('/login', { token: API_TOKEN, next: '/projects/web' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/projects/web');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^dw_session=v1\./);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(API_TOKEN);
    const secure = await app.request(
      'https://dw.example/login',
      post('/login', { token: API_TOKEN }, { origin: 'https://dw.example' }),
    );
    expect(secure.headers.get('set-cookie')).toContain('Secure');
    const page = await app.request('/projects/web', { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('answers a wrong token with the login page, no cookie and no hint, and locks out a guesser', async () => {
    const { app } = appFixture();
    const wrong = API_TOKEN.slice(0, -1);
    const res = await app.request('/login', post('/login', { token: wrong }));
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const html = await res.text();
    expect(html).toContain('That token is not valid.');
    expect(html).not.toContain(wrong);
    expect(html).not.toContain(API_TOKEN);
    for (let i = 0; i < 4; i++) await app.request('/login', post('/login', { token: wrong }));
    const locked = await app.request('/login', post('/login', { token: API_TOKEN }));
    expect(locked.status).toBe(429);
    expect(locked.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a login posted from another site', async () => {
    const { app } = appFixture();
    const res = await app.request(
      '/login',
      post('/login', { token: API_TOKEN }, { origin: 'http://evil.example' }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('logs out: the cookie is cleared and a copy of it no longer works', async () => {
    const { app } = appFixture();
    const cookie = await login(app);
    const csrf = await csrfOf(app, cookie);
    const out = await app.request('/logout', post('/logout', { csrf }, { cookie }));
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('dw_session=;');
    expect((await app.request('/', { headers: { cookie } })).status).toBe(302);
  });
});

describe('dashboard actions', () => {
  it("refuses a post without the CSRF token, with another session's token, or from another origin", async () => {
    const { app, deploys } = appFixture();
    const cookie = await login(app);
    const other = await csrfOf(app, await login(app));
    const csrf = await csrfOf(app, cookie);
    const path = '/dashboard-actions/projects/web/deploy';
    const attempts = [
      post(path, { tag: 'dev-9' }, { cookie }),
      post(path, { tag: 'dev-9', csrf: other }, { cookie }),
      post(path, { tag: 'dev-9', csrf }, { cookie, origin: 'http://127.0.0.1:9999' }),
      post(path, { tag: 'dev-9', csrf }, { cookie, origin: 'null' }),
    ];
    for (const attempt of attempts) {
      const res = await app.request(path, attempt);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('not sent from the dashboard');
    }
    const noOrigin = await app.request(path, {
      ...post(path, { tag: 'dev-9', csrf }),
      headers: { cookie, 'content-type': FORM },
    });
    expect(noOrigin.status).toBe(403);
    expect(deploys.submitted).toEqual([]);
  });

  it('deploys a tag, rolls back and approves through the deploy service, then shows the deploy', async () => {
    const { app, deploys, store } = appFixture({
      autoRun: true,
      needsApproval: (intent) => intent.stage === 'prod',
    });
    const cookie = await login(app);
    const csrf = await csrfOf(app, cookie, '/projects/web');
    const deploy = async (tag: string, stage = '') => {
      const res = await app.request(
        '/dashboard-actions/projects/web/deploy',
        post('', { tag, stage, csrf }, { cookie }),
      );
      expect(res.status).toBe(303);
      return res.headers.get('location')!;
    };
    const first = await deploy('dev-1');
    expect(first).toMatch(/^\/deploys\//);
    await deploys.idle();
    await deploy('dev-2', 'dev');
    await deploys.idle();
    expect(deploys.submitted.map((i) => [i.stage, i.tag, i.trigger, i.requestedBy])).toEqual([
      ['dev', 'dev-1', 'manual', 'dashboard'],
      ['dev', 'dev-2', 'manual', 'dashboard'],
    ]);
    store.setLive({
      project: 'web',
      stage: 'dev',
      deployId: store.listDeploys({ limit: 1 })[0]!.id,
      tag: 'dev-2',
      image: '127.0.0.1:5000/acme/web',
      imageRef: 'x',
      containerId: 'c2',
      containerName: 'dw-web-dev-dev-2',
      since: new Date().toISOString(),
    });
    const back = await app.request(
      '/dashboard-actions/projects/web/stages/dev/rollback',
      post('', { csrf }, { cookie }),
    );
    expect(back.status).toBe(303);
    expect(deploys.submitted.at(-1)).toMatchObject({
      trigger: 'rollback',
      tag: 'dev-1',
      requestedBy: 'dashboard',
    });

    const waiting = await deploy('v1.0', 'prod');
    const page = await (await app.request(waiting, { headers: { cookie } })).text();
    expect(page).toContain('awaiting approval');
    const overview = await (await app.request('/', { headers: { cookie } })).text();
    expect(overview).toContain(`href="${waiting}"`);
    const id = decodeURIComponent(waiting.split('/').pop()!);
    const approved = await app.request(
      `/dashboard-actions/deploys/${id}/approve`,
      post('', { csrf }, { cookie }),
    );
    expect(approved.headers.get('location')).toBe(waiting);
    expect(deploys.approvals).toEqual([{ id, by: 'dashboard' }]);
  });

  it('shows a refused action as a page naming the problem', async () => {
    const { app, deploys } = appFixture();
    const cookie = await login(app);
    const csrf = await csrfOf(app, cookie);
    const res = await app.request(
      '/dashboard-actions/projects/web/deploy',
      post('', { tag: 'nightly', csrf }, { cookie }),
    );
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('matches no stage');
    const bad = await app.request(
      '/dashboard-actions/projects/web/deploy',
      post('', { tag: '../x', csrf }, { cookie }),
    );
    expect(bad.status).toBe(400);
    expect(deploys.submitted).toEqual([]);
  });
});

describe('dashboard pages', () => {
  it('escapes a hostile tag, commit data and error, and links only http(s) URLs', async () => {
    const { app, store } = appFixture();
    const cookie = await login(app);
    const hostile = '<script>alert(1)</script>';
    const record = store.createDeploy({
      kind: 'deploy',
      id: 'd-hostile',
      status: 'failed',
      createdAt: new Date().toISOString(),
      intent: {
        project: 'web',
        stage: 'dev',
        image: '127.0.0.1:5000/acme/web',
        tag: `dev-${hostile}`,
        trigger: 'ci',
        source: {
          forge: 'github',
          serverUrl: 'https://github.com',
          repository: `a/${hostile}`,
          sha: 'abc"><img src=x onerror=alert(2)>',
          ref: hostile,
          runUrl: 'javascript:alert(3)',
          actor: hostile,
        },
      },
    });
    store.updateDeploy(record.id, {
      error: { phase: 'health', message: hostile, containerLogs: [hostile] },
      url: 'javascript:alert(4)',
    });
    store.appendEvent({
      deployId: record.id,
      at: new Date().toISOString(),
      type: 'log',
      level: 'error',
      message: hostile,
    });
    for (const path of ['/deploys/d-hostile', '/projects/web', '/']) {
      const html = await (await app.request(path, { headers: { cookie } })).text();
      expect(html, path).not.toContain('<script>alert');
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).not.toContain('javascript:');
      expect(html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  it('shows projects, stages, the live version and 404 pages as HTML', async () => {
    const { app } = appFixture();
    const cookie = await login(app);
    const html = await (await app.request('/', { headers: { cookie } })).text();
    expect(html).toMatch(/^<!doctype html>/);
    for (const text of ['web', 'shop', 'dev-*', 'www.example.test', 'nothing live'])
      expect(html).toContain(text);
    const missing = await app.request('/projects/nope', { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('project &quot;nope&quot; is not in the app&#39;s config');
  });

  it('says which strategy replaced a version and how long the site was down', async () => {
    const { app, store } = appFixture();
    const cookie = await login(app);
    const intent = {
      project: 'web',
      stage: 'dev',
      image: 'registry.test/web',
      tag: 'dev-7',
      trigger: 'ci',
    } as const;
    const at = (createdAt: string) => ({
      kind: 'deploy' as const,
      intent,
      status: 'succeeded' as const,
      createdAt,
    });
    store.createDeploy({ id: 'r1', ...at('2026-01-01T00:00:00.000Z') });
    store.updateDeploy('r1', { strategy: 'recreate', downtimeMs: 1400 });
    store.createDeploy({ id: 'b1', ...at('2026-01-01T00:01:00.000Z') });
    store.updateDeploy('b1', { strategy: 'blue-green' });
    const details = await (await app.request('/deploys/r1', { headers: { cookie } })).text();
    expect(details).toMatch(/<dt>Strategy<\/dt><dd>recreate, down 1\.4 s/);
    const blueGreen = await (await app.request('/deploys/b1', { headers: { cookie } })).text();
    expect(blueGreen).toMatch(/<dt>Strategy<\/dt><dd>blue-green<span class="muted"> \(no downtime\)/);
    const history = await (await app.request('/projects/web', { headers: { cookie } })).text();
    expect(history).toContain('recreate, down 1.4 s');
  });

  it("lets the session cookie read a deploy's event stream", async () => {
    const { app, deploys } = appFixture({ autoRun: true });
    const cookie = await login(app);
    const csrf = await csrfOf(app, cookie);
    const res = await app.request(
      '/dashboard-actions/projects/web/deploy',
      post('', { tag: 'dev-1', csrf }, { cookie }),
    );
    await deploys.idle();
    const events = `/api${res.headers.get('location')!}/events`;
    expect((await app.request(events)).status).toBe(401);
    const stream = await app.request(events, { headers: { cookie } });
    expect(stream.status).toBe(200);
    const text = await stream.text();
    expect(text).toContain('"phase":"health"');
    expect(text).toContain('event: end');
  });
});
