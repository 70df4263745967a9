import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followDeploy, reconnectingMessage } from '../../../src/protocol/follow-deploy.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const event = (seq: number, message: string) =>
  `id: ${seq}\ndata: ${JSON.stringify({ deployId: 'd1', seq, at: '2026-01-01T00:00:00Z', type: 'log', level: 'info', message })}\n\n`;

describe('followDeploy across an app restart', () => {
  it('says the stream dropped, reconnects with Last-Event-ID and shows each event once', async () => {
    const lastEventIds: (string | undefined)[] = [];
    let connections = 0;
    const server = createServer((req, res) => {
      connections += 1;
      lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      if (connections === 2) {
        // The app is still starting: the port answers 503 for a moment.
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connections === 1) {
        res.write(event(1, 'pull started') + event(2, 'health started'));
        // The app goes down mid-stream.
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      // Replays from the start as a real app would after Last-Event-ID 2: only 3 is new.
      res.end(
        event(2, 'health started') +
          event(3, 'interrupted by the restart') +
          `event: end\ndata: ${JSON.stringify({ id: 'd1', status: 'interrupted' })}\n\n`,
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const seen: string[] = [];
    const told: string[] = [];
    const record = await followDeploy(url, 'd1', { token: 't' }, (e) => seen.push(e.message), undefined, {
      sleep: () => Promise.resolve(),
      onRetry: (_n, reason, delay) => told.push(reconnectingMessage(reason, delay)),
      onResumed: (seq) => told.push(`resumed after ${seq}`),
    });
    expect(record).toMatchObject({ status: 'interrupted' });
    expect(seen).toEqual(['pull started', 'health started', 'interrupted by the restart']);
    expect(lastEventIds).toEqual([undefined, '2', '2']);
    expect(told[0]).toMatch(/^lost the event stream \(.+\); the app may be restarting: reconnecting in 1 s$/);
    expect(told[1]).toContain('answered HTTP 503');
    expect(told.at(-1)).toBe('resumed after 2');
  });
});
