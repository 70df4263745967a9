import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBAL_SECRET, appFixture } from '../../fakes/app-fixture.js';
import { listen } from '../../helpers/listening-app.js';
import { signedPost, webDeployBody } from '../../helpers/signed-request.js';

// The same route as deploy-requests.test.ts, but served by @hono/node-server on a real socket,
// where readRawBody reads the IncomingMessage itself (app.request() has no Node request).
let server: { url: string; close: () => Promise<void> };
let submitted: () => unknown[];

beforeAll(async () => {
  const { app, deploys } = appFixture();
  submitted = () => deploys.submitted;
  server = await listen(app);
});
afterAll(() => server.close());

/** Sends `body` in pieces of `piece` bytes with chunked encoding (no Content-Length) when asked. */
function send(init: RequestInit, options: { chunked?: boolean; piece?: number } = {}) {
  const body = Buffer.from(init.body as string);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (!options.chunked) headers['content-length'] = String(body.length);
    const req = request(`${server.url}/api/deploys`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const piece = options.piece ?? body.length;
    for (let i = 0; i < body.length; i += piece) req.write(body.subarray(i, i + piece));
    req.end();
  });
}

describe('the raw body read from the Node request stream', () => {
  it('verifies the exact bytes received, in one piece or in many chunked ones', async () => {
    const whole = await send(signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'dev-1' })));
    expect(whole.status).toBe(202);
    const pieces = await send(signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'dev-2' })), {
      chunked: true,
      piece: 7,
    });
    expect(pieces.status).toBe(202);
    expect(submitted()).toEqual([
      expect.objectContaining({ tag: 'dev-1' }),
      expect.objectContaining({ tag: 'dev-2' }),
    ]);
  });

  it('refuses a chunked body that grows past 64 KiB with 413, and the server keeps answering', async () => {
    const big = signedPost(GLOBAL_SECRET, webDeployBody({ padding: 'x'.repeat(70_000) }));
    const refused = await send(big, { chunked: true, piece: 8192 });
    expect(refused.status).toBe(413);
    expect(refused.text).toContain('larger than 65536 bytes');
    expect((await send(signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'dev-3' })))).status).toBe(202);
  });

  it('refuses a bad signature over a body of exactly 64 KiB with 401, without parsing it', async () => {
    const start = JSON.stringify(webDeployBody());
    const body = start.slice(0, -1) + `,"padding":"${'x'.repeat(64 * 1024 - start.length - 13)}"}`;
    expect(Buffer.byteLength(body)).toBe(64 * 1024);
    const refused = await send(signedPost('not-the-secret', body, { key: 'web' }));
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('does not match');
  });
});
