import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { DeployRecord } from '../../../src/core/deploy-types.js';
import { createChangeFeed } from '../../../src/deploy/change-feed.js';
import type { Store } from '../../../src/store/store.js';
import { API_TOKEN, appFixture, TEST_CONFIG } from '../../fakes/app-fixture.js';

type App = ReturnType<typeof appFixture>['app'];
const ORIGIN = 'http://localhost';
const IMAGE = '127.0.0.1:5000/acme/web';
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const PROMOTING: ConfigInput = {
  ...TEST_CONFIG,
  projects: {
    ...TEST_CONFIG.projects,
    web: {
      image: IMAGE,
      port: 8080,
      stages: {
        dev: { tag_pattern: 'dev-*', auto_deploy: true },
        prod: { tag_pattern: 'v*', promote_from: 'dev', confirm: true },
      },
    },
  },
};

function form(body: Record<string, string>, headers: Record<string, string> = {}) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, ...headers },
    body: new URLSearchParams(body).toString(),
  };
}

async function session(app: App): Promise<{ cookie: string; csrf: string }> {
  const res = await app.request('/login', form({ token: API_TOKEN, next: '/' }));
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const html = await (await app.request('/', { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]! };
}

/** A finished deploy of `tag` on web/`stage`, written as the engine writes it; live when it succeeded. */
function recorded(store: Store, stage: string, tag: string, char: string, status: DeployRecord['status']) {
  const id = `d-${stage}-${tag}`;
  store.createDeploy({
    kind: 'deploy',
    id,
    intent: { project: 'web', stage, image: IMAGE, tag, trigger: 'ci' },
    status: 'running',
    createdAt: new Date(Date.now() - 60_000).toISOString(),
  });
  store.transitionDeploy(id, 'running', status, {
    imageRef: `${IMAGE}@${digest(char)}`,
    digest: digest(char),
    startedAt: new Date(Date.now() - 50_000).toISOString(),
    finishedAt: new Date(Date.now() - 25_000).toISOString(),
  });
  if (status === 'succeeded') {
    store.setLive({
      project: 'web',
      stage,
      deployId: id,
      tag,
      image: IMAGE,
      digest: digest(char),
      imageRef: `${IMAGE}@${digest(char)}`,
      containerId: `c-${tag}`,
      containerName: `dw-web-${stage}-${tag}`,
      since: new Date().toISOString(),
    });
  }
  return id;
}

describe('promote from the dashboard', () => {
  it('offers "Promote <tag> (<digest>) from <stage>" and deploys exactly that digest', async () => {
    const { app, store, deploys } = appFixture({ config: PROMOTING });
    recorded(store, 'dev', 'dev-1', '9', 'succeeded');
    const { cookie, csrf } = await session(app);
    const html = await (await app.request('/', { headers: { cookie } })).text();
    expect(html).toContain('Promote dev-1 (999999999999) from dev');
    expect(html).toContain('promoted from dev');
    const res = await app.request(
      '/dashboard-actions/projects/web/stages/prod/promote',
      form({ csrf }, { cookie }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/deploys\//);
    expect(deploys.submitted.at(-1)).toMatchObject({
      stage: 'prod',
      tag: 'dev-1',
      digest: digest('9'),
      trigger: 'promote',
      requestedBy: 'dashboard',
    });
  });

  it('says what runs when prod already has the version live in dev, and refuses on the API with a reason', async () => {
    const { app, store } = appFixture({ config: PROMOTING });
    recorded(store, 'dev', 'dev-1', '9', 'succeeded');
    recorded(store, 'prod', 'dev-1', '9', 'succeeded');
    const { cookie } = await session(app);
    const html = await (await app.request('/', { headers: { cookie } })).text();
    expect(html).not.toContain('Promote dev-1');
    expect(html).toContain('runs what is live in dev');
    const api = await app.request('/api/projects/web/stages/dev/promote', {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(api.status).toBe(409);
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain(
      'stage dev has no promote_from',
    );
  });
});

describe('words that match what happened', () => {
  it('names the version a rollback goes back to, and says a failed deploy left the live one untouched', async () => {
    const { app, store } = appFixture();
    recorded(store, 'dev', 'dev-1', '1', 'succeeded');
    recorded(store, 'dev', 'dev-2', '2', 'succeeded');
    recorded(store, 'dev', 'dev-3', '3', 'failed');
    const { cookie } = await session(app);
    const html = await (await app.request('/', { headers: { cookie } })).text();
    expect(html).toContain('>Roll back to dev-1</button>');
    expect(html).toContain('Roll back web/dev from dev-2 (222222222222) to dev-1 (111111111111)?');
    expect(html).toContain('dev-2 kept serving, untouched');
  });

  it('calls the undo after a failure "undo", and an interrupted deploy "ran", not "took"', async () => {
    const { app, store } = appFixture();
    const failed = recorded(store, 'dev', 'dev-4', '4', 'failed');
    store.beginPhase(failed, 'health', new Date().toISOString());
    store.endPhase(failed, 'health', false, new Date().toISOString());
    store.beginPhase(failed, 'rollback', new Date().toISOString());
    store.endPhase(failed, 'rollback', true, new Date().toISOString());
    const interrupted = recorded(store, 'dev', 'dev-5', '5', 'interrupted');
    const { cookie } = await session(app);
    const page = await (await app.request(`/deploys/${failed}`, { headers: { cookie } })).text();
    expect(page).toMatch(
      /<tr data-phase="rollback"><td class="mono">undo<\/td>.*<span class="badge">undone<\/span>/,
    );
    const cut = await (await app.request(`/deploys/${interrupted}`, { headers: { cookie } })).text();
    expect(cut).toContain('<dt>Ran</dt><dd>ran 25 s, then interrupted</dd>');
  });
});

describe('the stage page and refused actions', () => {
  it('has the history and a deploy form with a digest field', async () => {
    const { app, store } = appFixture();
    recorded(store, 'dev', 'dev-1', '1', 'succeeded');
    const { cookie } = await session(app);
    const html = await (await app.request('/projects/web/stages/dev', { headers: { cookie } })).text();
    expect(html).toContain('id="stage-history"');
    expect(html).toMatch(/<a class="mono" href="\/deploys\/d-dev-dev-1">dev-1<\/a>/);
    expect(html).toContain('name="digest"');
    expect(html).toContain('<input type="hidden" name="stage" value="dev"/>');
    expect(html).toContain('data-tags="/api/projects/web/tags"');
  });

  it('shows a refused deploy again with what was typed, and links back to the page it came from', async () => {
    const { app, deploys } = appFixture();
    const { cookie, csrf } = await session(app);
    const res = await app.request(
      '/dashboard-actions/projects/web/deploy',
      form(
        { csrf, tag: 'release-9', digest: '', stage: 'dev' },
        { cookie, referer: `${ORIGIN}/projects/web/stages/dev` },
      ),
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('does not match the tag_pattern');
    expect(html).toContain('name="tag" value="release-9"');
    expect(html).toContain('<input type="hidden" name="stage" value="dev"/>');
    expect(html).toContain('<a href="/projects/web/stages/dev">Back to where you were</a>');
    expect(deploys.submitted).toEqual([]);
  });

  it('passes a picked digest from the form to the deploy', async () => {
    const { app, deploys } = appFixture();
    const { cookie, csrf } = await session(app);
    const res = await app.request(
      '/dashboard-actions/projects/web/deploy',
      form({ csrf, tag: 'dev-9', digest: digest('a'), stage: 'dev' }, { cookie }),
    );
    expect(res.status).toBe(303);
    expect(deploys.submitted.at(-1)).toMatchObject({ tag: 'dev-9', digest: digest('a'), trigger: 'manual' });
  });
});

describe('GET /api/projects/:project/tags', () => {
  it("answers the registry's tags for the picker, and 503 without registry access", async () => {
    const tags = {
      tags: [{ tag: 'dev-2', digest: digest('b'), created: '2026-01-01T00:00:00.000Z', stages: ['dev'] }],
      more: 0,
    };
    const asked: string[] = [];
    const { app } = appFixture({
      deps: { imageTags: (project) => (asked.push(project), Promise.resolve(tags)) },
    });
    const res = await app.request('/api/projects/web/tags', {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(tags);
    expect(asked).toEqual(['web']);
    expect((await app.request('/api/projects/web/tags')).status).toBe(401);
    const bare = appFixture();
    const none = await bare.app.request('/api/projects/web/tags', {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(none.status).toBe(503);
  });
});

describe('GET /api/changes', () => {
  it('sends "changed" with the stage when a deploy changes status, never for log lines', async () => {
    const changes = createChangeFeed();
    const { app, deploys } = appFixture({ observers: [changes], deps: { changes } });
    const res = await app.request('/api/changes', { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += decoder.decode((await reader.read()).value);
    };
    await readUntil('event: ready');
    const record = deploys.submit({
      project: 'web',
      stage: 'dev',
      image: IMAGE,
      tag: 'dev-9',
      trigger: 'ci',
    });
    deploys.emit(record.id, { type: 'log', level: 'info', message: 'a log line' });
    await readUntil('event: changed');
    const data = /event: changed\ndata: (.*)\n/.exec(text)![1]!;
    expect(JSON.parse(data)).toEqual([
      { project: 'web', stage: 'dev', deployId: record.id, status: 'queued' },
    ]);
    changes.close();
    await reader.cancel();
  });
});
