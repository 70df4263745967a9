import { describe, expect, it } from 'vitest';
import { API_TOKEN } from '../../fakes/app-fixture.js';
import type { CertificateStatus } from '../../../src/proxy/router.js';
import { opsAppFixture, spec } from '../../fakes/ops-app-fixture.js';

type App = ReturnType<typeof opsAppFixture>['app'];
const FORM = 'application/x-www-form-urlencoded';
const ORIGIN = 'http://localhost';
const STAGE_PAGE = '/projects/web/stages/dev';
const TEARDOWN = '/dashboard-actions/projects/web/stages/dev/teardown';

function post(body: Record<string, string>, headers: Record<string, string> = {}) {
  return {
    method: 'POST',
    headers: { 'content-type': FORM, origin: ORIGIN, ...headers },
    body: new URLSearchParams(body).toString(),
  };
}

async function login(app: App): Promise<string> {
  const res = await app.request('/login', post({ token: API_TOKEN, next: '/' }));
  expect(res.status).toBe(303);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

async function page(app: App, cookie: string, path: string): Promise<string> {
  const res = await app.request(path, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return res.text();
}

const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

/** Reads an SSE body until `until` shows up in what was read so far. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, until: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(until)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${until}"; got: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe('the stage page', () => {
  it("shows where the Let's Encrypt certificate docker-watcher asked NPM for stands", async () => {
    const statuses = new Map<string, CertificateStatus>();
    const { app } = opsAppFixture({ certificateOf: (domain) => statuses.get(domain) });
    const cookie = await login(app);
    expect(await page(app, cookie, STAGE_PAGE)).not.toContain('certificate');
    const domain = [...(await page(app, cookie, STAGE_PAGE)).matchAll(/stage-dev-web\.[\w.-]+/g)][0]![0];
    statuses.set(domain, {
      state: 'failed',
      error: 'NPM could not get a certificate (500 Internal Error)',
      attempts: 2,
      retryAt: new Date(Date.now() + 600_000).toISOString(),
    });
    expect(await page(app, cookie, STAGE_PAGE)).toMatch(
      /data-certificate="failed">\s*certificate request failed \(2 tries\): NPM could not get a certificate \(500 Internal Error\);/,
    );
    statuses.set(domain, { state: 'issued', certificateId: 7, attempts: 2 });
    expect(await page(app, cookie, STAGE_PAGE)).toContain('certificate #7 issued by Let&#39;s Encrypt');
  });

  it('needs a session, for the page and for its log stream', async () => {
    const { app } = opsAppFixture();
    const res = await app.request(STAGE_PAGE);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(STAGE_PAGE)}`);
    const logs = await app.request('/api/projects/web/stages/dev/logs?tail=5');
    expect(logs.status).toBe(401);
    const cookie = await login(app);
    const withCookie = await app.request('/api/projects/web/stages/dev/logs?tail=5', { headers: { cookie } });
    expect(withCookie.status).toBe(200);
  });

  it('shows the log with stderr marked, resource use, and is linked from the overview and project page', async () => {
    const { app, docker, live } = opsAppFixture();
    docker.writeLog(live.id, 'stdout', 'listening on :8080');
    docker.writeLog(live.id, 'stderr', 'warning: <b>cache</b> cold');
    docker.setStats(live.id, {
      cpuPercent: 7.25,
      memoryBytes: 48 * 1024 * 1024,
      memoryLimitBytes: 64 * 1024 * 1024,
    });
    docker.patchContainer(live.id, { restartCount: 2 });
    const cookie = await login(app);
    const html = await page(app, cookie, STAGE_PAGE);
    expect(html).toMatch(/<li class="std-stdout">.*listening on :8080/);
    expect(html).toMatch(/<li class="std-stderr">.*<span class="s">err<\/span>.*warning: &lt;b&gt;cache/);
    expect(html).toContain('7.3 %');
    expect(html).toContain('<span>48.0 MiB</span> / <span>64.0 MiB</span>');
    expect(html).toMatch(/Restarts<\/span><span class="v warn">2</);
    expect(html).toContain('data-follow="/api/projects/web/stages/dev/logs?follow=1&amp;tail=200"');
    for (const from of ['/', '/projects/web']) {
      expect(await page(app, cookie, from), from).toContain(`href="${STAGE_PAGE}"`);
    }
  });

  it('says plainly when the live container is gone and when nothing is live', async () => {
    const { app, docker, live } = opsAppFixture();
    await docker.removeContainer(live.id);
    const cookie = await login(app);
    const gone = await page(app, cookie, STAGE_PAGE);
    expect(gone).toContain(
      '<strong>gone</strong>: the live container <span class="mono">dw-web-dev-v1</span>',
    );
    expect(gone).toContain('is gone; deploy again or roll back');
    const empty = await page(app, cookie, '/projects/web/stages/prod');
    expect(empty).toContain('nothing is live on web/prod');
    const missing = await app.request('/projects/web/stages/nope', { headers: { cookie } });
    expect(missing.status).toBe(404);
  });

  it('follows the log over SSE with the session cookie and shows a new line', async () => {
    const { app, docker, live } = opsAppFixture();
    docker.writeLog(live.id, 'stdout', 'old line');
    const cookie = await login(app);
    const stop = new AbortController();
    const res = await app.request('/api/projects/web/stages/dev/logs?follow=1&tail=200', {
      headers: { cookie },
      signal: stop.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    await readUntil(reader, 'old line');
    docker.writeLog(live.id, 'stderr', 'fresh line');
    const text = await readUntil(reader, 'fresh line');
    expect(text).toMatch(/event: line\ndata: \{"stream":"stderr","time":"[^"]+","text":"fresh line"\}/);
    stop.abort();
    await reader.cancel();
  });
});

describe('teardown from the dashboard', () => {
  it('refuses a teardown without the CSRF token, with a wrong one, or from another origin', async () => {
    const { app, deploys } = opsAppFixture();
    const cookie = await login(app);
    const csrf = csrfIn(await page(app, cookie, STAGE_PAGE));
    for (const attempt of [
      post({}, { cookie }),
      post({ csrf: `${csrf}x` }, { cookie }),
      post({ csrf }, { cookie, origin: 'http://evil.example' }),
    ]) {
      const res = await app.request(TEARDOWN, attempt);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('not sent from the dashboard');
    }
    const anonymous = await app.request(TEARDOWN, post({ csrf }));
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login');
    expect(deploys.teardowns).toEqual([]);
  });

  it("the stage page's button asks first and tears down through the deploy service", async () => {
    const { app, deploys, store } = opsAppFixture();
    const cookie = await login(app);
    const html = await page(app, cookie, STAGE_PAGE);
    const form = /<form class="actions" method="post" action="([^"]+teardown)" data-confirm="([^"]+)"/.exec(
      html,
    )!;
    expect(form[1]).toBe(TEARDOWN);
    expect(form[2]).toContain('Tear down web/dev?');
    const res = await app.request(TEARDOWN, post({ csrf: csrfIn(html) }, { cookie }));
    expect(res.status).toBe(303);
    const record = store.listDeploys({ project: 'web', stage: 'dev', limit: 1 })[0]!;
    expect(res.headers.get('location')).toBe(`/deploys/${record.id}`);
    expect(deploys.teardowns).toEqual([
      expect.objectContaining({ project: 'web', stage: 'dev', requestedBy: 'dashboard' }),
    ]);
  });

  it('lists orphaned stages on the overview, removes nothing by itself, and tears one down on request', async () => {
    const { app, docker, deploys } = opsAppFixture();
    docker.addContainer(spec('web', 'staging', 'dw-web-staging-v3'), { state: 'running' });
    docker.addContainer(spec('old', 'dev', 'dw-old-dev-v1'), { state: 'exited' });
    const cookie = await login(app);
    const html = await page(app, cookie, '/');
    expect(html).toContain('Orphaned stages');
    for (const [name, container] of [
      ['web/staging', 'dw-web-staging-v3'],
      ['old/dev', 'dw-old-dev-v1'],
    ]) {
      const section = new RegExp(`data-orphan="${name}".*?</section>`, 's').exec(html)?.[0];
      expect(section, name).toContain(container);
      expect(section, name).toContain(`Tear down ${name}?`);
    }
    expect(html).not.toContain('data-orphan="web/dev"');
    expect(
      docker.calls.some((call) => call.method === 'removeContainer' || call.method === 'stopContainer'),
    ).toBe(false);
    expect(deploys.teardowns).toEqual([]);

    const csrf = csrfIn(html);
    const res = await app.request('/dashboard-actions/orphans/old/dev/teardown', post({ csrf }, { cookie }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/deploys\//);
    expect(deploys.teardowns.map((i) => [i.project, i.stage, i.requestedBy])).toEqual([
      ['old', 'dev', 'dashboard'],
    ]);
    // A stage in the config is not an orphan: its own page is the place to tear it down.
    const configured = await app.request(
      '/dashboard-actions/orphans/web/dev/teardown',
      post({ csrf }, { cookie }),
    );
    expect(configured.status).toBe(404);
    expect(deploys.teardowns).toHaveLength(1);
  });

  it('shows no orphan section without orphans, and says so when stage operations are not wired', async () => {
    const { app } = opsAppFixture();
    const cookie = await login(app);
    expect(await page(app, cookie, '/')).not.toContain('Orphaned stages');
    const bare = opsAppFixture({ ops: false });
    const bareCookie = await login(bare.app);
    const stage = await page(bare.app, bareCookie, STAGE_PAGE);
    expect(stage).toContain('The log is not available: this app was started without access to Docker.');
  });
});
