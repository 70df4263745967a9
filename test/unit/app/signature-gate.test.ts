import { createServer, request, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestLog } from '../../../app/http/request-log.js';
import { signatureGate } from '../../../app/http/signature-gate.js';
import { DEPLOY_REQUEST_ROUTE } from '../../../app/routes/deploy-requests.js';
import { createJsonLogger } from '../../../src/log/logger.js';
import { closeServers, listen, urlOf, type Answer } from '../../helpers/loopback-servers.js';
import { appFixture, GLOBAL_SECRET } from '../../fakes/app-fixture.js';
import { signedPost, webDeployBody } from '../../helpers/signed-request.js';

// The gate in front of the app as the composition root serves it (app/server.ts), on a real
// socket, beside the same app served without it: a refusal must be the app's own answer.
const clock = { now: () => new Date(), sleep: () => Promise.resolve() };
const logger = createJsonLogger({ write: () => undefined });
const requestLog = createRequestLog(logger, clock.now);
const { app, secrets, deploys } = appFixture({ logger, deps: { requestLog } });
const listener = getRequestListener(app.fetch);
/** Requests the gate handed to the app. */
let handedOver = 0;
let gated: Server;
let bare: Server;

beforeAll(async () => {
  gated = createServer(
    signatureGate({ routes: [DEPLOY_REQUEST_ROUTE], secrets, clock, logger, requestLog }, (req, res) => {
      handedOver++;
      return listener(req, res);
    }),
  );
  bare = createServer((req, res) => void listener(req, res));
  await Promise.all([listen(gated), listen(bare)]);
});
afterAll(() => closeServers(gated, bare));

/** POSTs `init` to `path`, in pieces of `piece` bytes with chunked encoding when asked. */
function send(
  server: Server,
  init: RequestInit,
  options: { path?: string; chunked?: boolean; piece?: number } = {},
): Promise<Answer> {
  const body = Buffer.from(init.body as string);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (!options.chunked) headers['content-length'] = String(body.length);
    const path = options.path ?? '/api/deploys';
    const req = request(`${urlOf(server)}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    const piece = options.piece ?? body.length;
    for (let i = 0; i < body.length; i += piece) req.write(body.subarray(i, i + piece));
    req.end();
  });
}

/** What the answers of the gate and of the app must share. */
const shape = ({ status, headers, text }: Answer) => ({
  status,
  type: headers['content-type'],
  authenticate: headers['www-authenticate'],
  length: headers['content-length'],
  body: JSON.parse(text) as unknown,
});

/** A deploy request body of exactly 64 KiB, the limit (the flood bench's size). */
function fullBody(): string {
  const start = JSON.stringify(webDeployBody());
  const body = start.slice(0, -1) + `,"padding":"${'x'.repeat(64 * 1024 - start.length - 13)}"}`;
  expect(Buffer.byteLength(body)).toBe(64 * 1024);
  return body;
}

describe('the signature gate in front of the app', () => {
  it("refuses a bad signature over a 64 KiB body itself, with the app's own answer", async () => {
    const before = handedOver;
    const init = signedPost('not-the-secret', fullBody(), { key: 'web' });
    const fromGate = await send(gated, init);
    const fromApp = await send(bare, init);
    expect(handedOver).toBe(before);
    expect(fromGate.status).toBe(401);
    expect(shape(fromGate)).toEqual(shape(fromApp));
    expect(fromGate.text).toContain('signature does not match');
  });

  it('refuses a request whose signature headers are wrong the same way, once its body is read', async () => {
    const before = handedOver;
    const init = signedPost(GLOBAL_SECRET, webDeployBody());
    const headers = {
      ...(init.headers as Record<string, string>),
      'X-Docker-Watcher-Delivery': 'not-a-uuid',
    };
    const fromGate = await send(gated, { ...init, headers }, { chunked: true, piece: 100 });
    expect(handedOver).toBe(before);
    expect(shape(fromGate)).toEqual(shape(await send(bare, { ...init, headers })));
    expect(fromGate.text).toContain('must be a UUID');
  });

  it('hands a valid request to the app with its body, which deploys it', async () => {
    const before = handedOver;
    const accepted = await send(gated, signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'dev-gate' })), {
      chunked: true,
      piece: 7,
    });
    expect(accepted.status).toBe(202);
    expect(handedOver).toBe(before + 1);
    expect(deploys.submitted).toContainEqual(expect.objectContaining({ tag: 'dev-gate' }));
  });

  it('leaves what is not its sure refusal to the app: another content type, a declared size, a query', async () => {
    const before = handedOver;
    const bad = signedPost('not-the-secret', webDeployBody());
    const notJson = await send(
      gated,
      signedPost('not-the-secret', webDeployBody(), { contentType: 'text/plain' }),
    );
    expect(notJson.status).toBe(415);
    const big = signedPost('not-the-secret', webDeployBody({ padding: 'x'.repeat(70_000) }));
    expect((await send(gated, big)).status).toBe(413);
    const query = await send(gated, bad, { path: '/api/deploys?x=1' });
    expect(query.status).toBe(401);
    expect(handedOver).toBe(before + 3);
  });

  it("refuses a chunked body that grows past 64 KiB with the app's 413, and answers again after", async () => {
    const big = signedPost('not-the-secret', webDeployBody({ padding: 'x'.repeat(70_000) }));
    const fromGate = await send(gated, big, { chunked: true, piece: 8192 });
    expect(shape(fromGate)).toEqual(shape(await send(bare, big, { chunked: true, piece: 8192 })));
    expect(fromGate.status).toBe(413);
    expect(fromGate.headers.connection).toBe('close');
    expect((await send(gated, signedPost(GLOBAL_SECRET, webDeployBody({ tag: 'dev-after' })))).status).toBe(
      202,
    );
  });

  it('survives a client that leaves half-way through the body, and answers the next one', async () => {
    const init = signedPost('not-the-secret', fullBody(), { key: 'web' });
    await new Promise<void>((done) => {
      const headers = { ...(init.headers as Record<string, string>), 'content-length': String(64 * 1024) };
      const req = request(`${urlOf(gated)}/api/deploys`, { method: 'POST', headers, agent: false });
      req.on('error', () => done());
      req.write(Buffer.from(init.body as string).subarray(0, 10_000), () => {
        setTimeout(() => {
          req.destroy();
          done();
        }, 20);
      });
    });
    const next = await send(gated, signedPost('not-the-secret', webDeployBody()));
    expect(next.status).toBe(401);
  });

  it('logs its refusals in the same burst as the app: the first alone, the rest in one summary', async () => {
    const logged: Record<string, unknown>[] = [];
    const ownLogger = createJsonLogger({
      write: (line) => logged.push(JSON.parse(line) as Record<string, unknown>),
    });
    const ownLog = createRequestLog(ownLogger, clock.now, { refusalWindowMs: 50 });
    const own = appFixture({ logger: ownLogger, deps: { requestLog: ownLog } });
    const server = createServer(
      signatureGate(
        {
          routes: [DEPLOY_REQUEST_ROUTE],
          secrets: own.secrets,
          clock,
          logger: ownLogger,
          requestLog: ownLog,
        },
        getRequestListener(own.app.fetch),
      ),
    );
    await listen(server);
    try {
      for (let i = 0; i < 3; i++) await send(server, signedPost('not-the-secret', webDeployBody()));
      // With a query string the app itself answers.
      await send(server, signedPost('not-the-secret', webDeployBody()), { path: '/api/deploys?x=1' });
      expect(logged).toEqual([
        expect.objectContaining({ msg: 'request', status: 401, path: '/api/deploys' }),
      ]);
      await new Promise((done) => setTimeout(done, 80));
      expect(logged[1]).toMatchObject({ msg: 'requests refused', count: 3, paths: { '/api/deploys': 3 } });
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
