import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../../action/undici-over-fetch.js';

// A local server: /json answers at once, /slow-headers after 300 ms, /stall sends one piece of
// its body and then nothing, /stream three pieces 20 ms apart, /moved a redirect.
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.headers['x-sign'] ?? '' });
        res.end(JSON.stringify({ method: req.method, body }));
      });
    } else if (req.url === '/slow-headers') {
      setTimeout(() => res.end('late'), 300);
    } else if (req.url === '/stall') {
      res.writeHead(200);
      res.write('first');
    } else if (req.url === '/stream') {
      res.writeHead(200);
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`piece${++sent};`);
        if (sent === 3) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
    } else {
      res.writeHead(302, { location: '/json' });
      res.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

describe("the action's undici request over fetch", () => {
  it('sends method, headers and body; answers status, headers and the body as text or JSON', async () => {
    const response = await request(`${base}/json`, {
      method: 'POST',
      headers: { 'x-sign': 'sha256=abc' },
      body: 'payload',
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-seen']).toBe('sha256=abc');
    expect(await response.body.json()).toEqual({ method: 'POST', body: 'payload' });
  });

  it('does not follow redirects (undici does not either)', async () => {
    const response = await request(`${base}/moved`);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/json');
    await response.body.dump();
  });

  it('fails when the headers take longer than headersTimeout', async () => {
    await expect(request(`${base}/slow-headers`, { headersTimeout: 50 })).rejects.toThrow('headers timeout');
    const late = await request(`${base}/slow-headers`, { headersTimeout: 2_000 });
    expect(await late.body.text()).toBe('late');
  });

  it('iterates the body as it arrives and fails when a pause exceeds bodyTimeout', async () => {
    const streamed = await request(`${base}/stream`, { bodyTimeout: 1_000 });
    const pieces: string[] = [];
    for await (const chunk of streamed.body) pieces.push(Buffer.from(chunk).toString());
    expect(pieces.join('')).toBe('piece1;piece2;piece3;');

    const stalled = await request(`${base}/stall`, { bodyTimeout: 100 });
    await expect(stalled.body.text()).rejects.toThrow('body timeout');
  });

  it("rejects with the caller's abort reason", async () => {
    const controller = new AbortController();
    const pending = request(`${base}/slow-headers`, { signal: controller.signal });
    controller.abort(new Error('action timed out'));
    await expect(pending).rejects.toThrow('action timed out');
  });
});
