import { describe, expect, it } from 'vitest';
import { LABEL_INSTANCE, LABEL_PROJECT, LABEL_STAGE } from '../../../src/docker/engine.js';
import { SseParser } from '../../../src/protocol/sse-parser.js';
import { GLOBAL_SECRET } from '../../fakes/app-fixture.js';
import { bearer, opsAppFixture as setup, spec } from '../../fakes/ops-app-fixture.js';
import { signedGetHeaders, signedPost } from '../../helpers/signed-request.js';

const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

describe('GET /api/projects/:project/stages/:stage/logs', () => {
  it('streams the live container output as text, with tail, needing auth', async () => {
    const { app, docker } = setup();
    docker.writeLog('dw-web-dev-v1', 'stdout', 'first');
    docker.writeLog('dw-web-dev-v1', 'stderr', 'second');
    docker.writeLog('dw-web-dev-v1', 'stdout', 'third');
    expect((await app.request('/api/projects/web/stages/dev/logs')).status).toBe(401);

    const res = await app.request('/api/projects/web/stages/dev/logs?tail=2', bearer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['stderr second', 'stdout third']);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('accepts a request signed with the project secret, like the other reads', async () => {
    const { app } = setup();
    const res = await app.request('/api/projects/web/stages/dev/logs', {
      headers: signedGetHeaders(GLOBAL_SECRET, '/api/projects/web/stages/dev/logs'),
    });
    expect(res.status).toBe(200);
  });

  it('follows as Server-Sent Events until the container stops', async () => {
    const { app, docker } = setup();
    docker.writeLog('dw-web-dev-v1', 'stdout', 'before');
    const res = await app.request('/api/projects/web/stages/dev/logs?follow=true', bearer);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const events: { event: string; data: string }[] = [];
    const next = async () => {
      while (events.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        events.push(...parser.feed(decoder.decode(value)));
      }
      return events.shift()!;
    };
    expect(JSON.parse((await next()).data)).toMatchObject({ stream: 'stdout', text: 'before' });
    docker.writeLog('dw-web-dev-v1', 'stderr', 'while following');
    expect(JSON.parse((await next()).data)).toMatchObject({ stream: 'stderr', text: 'while following' });
    docker.exitContainer('dw-web-dev-v1', 0);
    expect(await next()).toMatchObject({ event: 'end' });
  });

  it('answers 404 when nothing is live, or the live container is gone', async () => {
    const { app, docker } = setup();
    const none = await app.request('/api/projects/web/stages/prod/logs', bearer);
    expect(none.status).toBe(404);
    expect(await errorOf(none)).toMatch(/nothing is live on web\/prod/);
    await docker.removeContainer('dw-web-dev-v1');
    const gone = await app.request('/api/projects/web/stages/dev/logs', bearer);
    expect(gone.status).toBe(404);
    expect(await errorOf(gone)).toMatch(/dw-web-dev-v1 of web\/dev is gone/);
  });

  it('answers 400 naming a bad query value, and 404 for a stage not in the config', async () => {
    const { app } = setup();
    const bad = await app.request('/api/projects/web/stages/dev/logs?since=soon', bearer);
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatch(/since "soon"/);
    expect((await app.request('/api/projects/web/stages/nope/logs', bearer)).status).toBe(404);
  });

  it('answers 503 when the app has no stage ops', async () => {
    const { app } = setup({ ops: false });
    expect((await app.request('/api/projects/web/stages/dev/logs', bearer)).status).toBe(503);
  });
});

describe('stats', () => {
  it('reports the live container resource use, per stage and in the project view', async () => {
    const { app, docker } = setup();
    docker.setStats('dw-web-dev-v1', { cpuPercent: 12.5, memoryBytes: 1000, networkRxBytes: 7 });
    const res = await app.request('/api/projects/web/stages/dev/stats', bearer);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      project: 'web',
      stage: 'dev',
      tag: 'v1',
      containerName: 'dw-web-dev-v1',
      stats: {
        state: 'running',
        cpuPercent: 12.5,
        memoryBytes: 1000,
        memoryLimitBytes: 64 * 1024 * 1024,
        networkRxBytes: 7,
        networkTxBytes: 0,
        restartCount: 0,
      },
    });
    const project = (await (await app.request('/api/projects/web', bearer)).json()) as {
      resources: { stage: string; stats: { memoryBytes: number } }[];
    };
    expect(project.resources).toEqual([
      expect.objectContaining({ stage: 'dev', stats: expect.objectContaining({ memoryBytes: 1000 }) }),
    ]);
  });

  it('reports a container that is gone as state gone, not an error', async () => {
    const { app, docker } = setup();
    await docker.removeContainer('dw-web-dev-v1');
    const res = await app.request('/api/projects/web/stages/dev/stats', bearer);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { stats: unknown }).stats).toEqual({ state: 'gone' });
  });
});

describe('teardown and orphans', () => {
  it('queues a teardown with the API token only', async () => {
    const { app, deploys } = setup();
    const path = '/api/projects/web/stages/dev/teardown';
    const signed = await app.request(path, {
      method: 'POST',
      headers: signedPost(GLOBAL_SECRET, '', { path }).headers!,
    });
    expect(signed.status).toBe(403);
    expect(deploys.teardowns).toEqual([]);
    const res = await app.request('/api/projects/web/stages/dev/teardown', { method: 'POST', ...bearer });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string; urls: { self: string } };
    expect(body).toMatchObject({ status: 'queued', stage: 'dev' });
    expect(body.urls.self).toMatch(new RegExp(`/api/deploys/${body.id}$`));
    expect(deploys.teardowns).toEqual([
      expect.objectContaining({ project: 'web', stage: 'dev', requestedBy: 'api-token' }),
    ]);
    const unknown = await app.request('/api/projects/web/stages/old/teardown', { method: 'POST', ...bearer });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatch(/GET \/api\/orphans/);
  });

  it('lists stages gone from the config that still have containers, and tears them down by name', async () => {
    const { app, docker, deploys } = setup();
    docker.addContainer(spec('web', 'old', 'dw-web-old-v1'), { state: 'running' });
    docker.addContainer(spec('legacy', 'prod', 'dw-legacy-prod-v9'));
    docker.addContainer({
      ...spec('gone', 'x', 'dw-gone-x-1'),
      labels: { [LABEL_PROJECT]: 'gone', [LABEL_STAGE]: 'x', [LABEL_INSTANCE]: 'another-instance' },
    });

    const res = await app.request('/api/orphans', bearer);
    expect(res.status).toBe(200);
    const { orphans } = (await res.json()) as {
      orphans: { project: string; stage: string; containers: { name: string }[] }[];
    };
    expect(orphans.map((o) => [o.project, o.stage, o.containers.map((c) => c.name)])).toEqual([
      ['legacy', 'prod', ['dw-legacy-prod-v9']],
      ['web', 'old', ['dw-web-old-v1']],
    ]);

    const teardown = await app.request('/api/orphans/web/old/teardown', { method: 'POST', ...bearer });
    expect(teardown.status).toBe(202);
    expect(deploys.teardowns.map((t) => `${t.project}/${t.stage}`)).toEqual(['web/old']);
    const notOrphan = await app.request('/api/orphans/web/dev/teardown', { method: 'POST', ...bearer });
    expect(notOrphan.status).toBe(404);
    expect(await errorOf(notOrphan)).toMatch(/not an orphan.*stages\/dev\/teardown/);
    expect(
      (await app.request('/api/orphans/web/nothing/teardown', { method: 'POST', ...bearer })).status,
    ).toBe(404);
    expect((await app.request('/api/orphans')).status).toBe(401);
  });
});
