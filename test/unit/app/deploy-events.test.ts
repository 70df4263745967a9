import { describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../../src/core/deploy-types.js';
import { SseParser, type SseMessage } from '../../../src/protocol/sse-parser.js';
import { API_TOKEN, appFixture, GLOBAL_SECRET } from '../../fakes/app-fixture.js';
import { signedPost, webDeployBody } from '../../helpers/signed-request.js';

/** Reads SSE messages from a response until `until` says stop or the stream ends. */
async function readEvents(res: Response, until: (messages: SseMessage[]) => boolean = () => false) {
  const reader = res.body!.getReader();
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const messages: SseMessage[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { messages, ended: true, reader };
    messages.push(...parser.feed(decoder.decode(value, { stream: true })));
    if (until(messages)) return { messages, ended: false, reader };
  }
}

describe('GET /api/deploys/:id/events', () => {
  it('replays stored events after Last-Event-ID, streams live ones, then ends with the record', async () => {
    const { app, deploys } = appFixture();
    const accepted = await (
      await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()))
    ).json();
    deploys.emit(accepted.id, { type: 'log', level: 'info', message: 'second stored event' });
    deploys.emit(accepted.id, { type: 'log', level: 'info', message: 'third stored event' });

    const res = await app.request(`/api/deploys/${accepted.id}/events`, {
      headers: { authorization: `Bearer ${accepted.followToken}`, 'last-event-id': '1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');

    const replayed = await readEvents(res, (messages) => messages.length >= 2);
    expect(replayed.messages.map((m) => [m.id, (JSON.parse(m.data) as DeployEvent).message])).toEqual([
      ['2', 'second stored event'],
      ['3', 'third stored event'],
    ]);

    const run = deploys.run(accepted.id);
    const rest: SseMessage[] = [];
    const parser = new SseParser();
    for (;;) {
      const { done, value } = await replayed.reader.read();
      if (done) break;
      rest.push(...parser.feed(new TextDecoder().decode(value)));
    }
    await run;
    const live = rest.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data) as DeployEvent);
    expect(live.map((e) => e.seq)).toEqual(live.map((_, i) => 4 + i));
    expect(live.filter((e) => e.type === 'phase').map((e) => e.phase)).toEqual([
      'resolve',
      'pull',
      'create',
      'start',
      'health',
      'switch',
      'persist',
      'drain',
      'stop_old',
    ]);
    const end = rest.at(-1)!;
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toMatchObject({ id: accepted.id, status: 'succeeded' });
  });

  it('sends everything and `end` at once for a finished deploy', async () => {
    const { app, deploys } = appFixture();
    const accepted = await (
      await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()))
    ).json();
    await deploys.run(accepted.id);
    const res = await app.request(`/api/deploys/${accepted.id}/events`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const { messages, ended } = await readEvents(res);
    expect(ended).toBe(true);
    expect(messages.at(-1)).toMatchObject({ event: 'end' });
    expect(messages.filter((m) => m.event === 'message').length).toBeGreaterThan(9);
  });

  it('sends heartbeat comments while the deploy waits, and stops when the client leaves', async () => {
    const { app } = appFixture({ heartbeatMs: 5, needsApproval: () => true });
    const accepted = await (
      await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()))
    ).json();
    const res = await app.request(`/api/deploys/${accepted.id}/events`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"status":"awaiting_approval"');
    await reader.cancel();
  });

  it('needs auth', async () => {
    const { app } = appFixture();
    const accepted = await (
      await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()))
    ).json();
    expect((await app.request(`/api/deploys/${accepted.id}/events`)).status).toBe(401);
  });
});
