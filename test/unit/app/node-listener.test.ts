import { createServer, request, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyListener, nodeFront } from '../../../app/http/node-listener.js';
import { createRequestLog, type LoggedRequest } from '../../../app/http/request-log.js';
import type { NodeListener } from '../../../app/http/signature-gate.js';
import { healthAnswer } from '../../../app/routes/health.js';
import { DEPLOY_REQUEST_ROUTE } from '../../../app/routes/deploy-requests.js';
import type { StartupState } from '../../../app/http/app-env.js';
import { createJsonLogger } from '../../../src/log/logger.js';
import { closeServers, listen, urlOf, type Answer } from '../../helpers/loopback-servers.js';
import { appFixture } from '../../fakes/app-fixture.js';

// The node:http front of the app as the composition root serves it (app/server.ts), on a real
// socket, beside the same Hono app served alone: its /healthz must be the app's own answer.
const clock = { now: () => new Date(), sleep: () => Promise.resolve() };
const lines: string[] = [];
const logger = createJsonLogger({ write: (line) => void lines.push(line) });
const recorded: LoggedRequest[] = [];
const log = createRequestLog(logger, clock.now);
const requestLog = { record: (entry: LoggedRequest) => (recorded.push(entry), log.record(entry)) };
let startup: StartupState = 'ready';
const { app, secrets, store } = appFixture({ logger, startup: () => startup, deps: { requestLog } });
const gateDeps = { routes: [DEPLOY_REQUEST_ROUTE], secrets, clock, logger, requestLog };
/** How often the front loaded the Hono adapter, and how many requests it handed to it. */
let loads = 0;
let handedOver = 0;
let front: Server;
let bare: Server;

beforeAll(async () => {
  const listener = getRequestListener(app.fetch);
  front = createServer(
    nodeFront(
      { ...gateDeps, health: () => healthAnswer({ store, startup: () => startup, logger }) },
      async () => {
        loads++;
        await new Promise((done) => setTimeout(done, 20));
        return (req, res) => (handedOver++, listener(req, res));
      },
    ),
  );
  bare = createServer((req, res) => void listener(req, res));
  await Promise.all([listen(front), listen(bare)]);
});
afterAll(() => closeServers(front, bare));

function send(server: Server, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${urlOf(server)}${path}`, { method, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject).end();
  });
}

const shape = ({ status, headers, text }: Answer) => ({
  status,
  type: headers['content-type'],
  body: text === '' ? '' : (JSON.parse(text) as unknown),
});

describe('the node:http front of the app', () => {
  it("answers /healthz itself with the Hono route's answer, in each start-up state, and logs it", async () => {
    for (const state of ['ready', 'reconciling', 'reconcile-failed'] as const) {
      startup = state;
      for (const path of ['/healthz', '/healthz?probe=1']) {
        const fromFront = await send(front, 'GET', path);
        expect(shape(fromFront)).toEqual(shape(await send(bare, 'GET', path)));
        expect(fromFront.status).toBe(state === 'reconcile-failed' ? 503 : 200);
        expect(Number(fromFront.headers['content-length'])).toBe(Buffer.byteLength(fromFront.text));
      }
    }
    startup = 'ready';
    const head = await send(front, 'HEAD', '/healthz');
    expect(head).toMatchObject({ status: 200, text: '' });
    expect(head.headers['content-type']).toBe('application/json');
    expect(handedOver).toBe(0);
    expect(loads).toBe(0);
    expect(recorded.filter((r) => r.path === '/healthz' && r.method === 'GET').length).toBeGreaterThanOrEqual(
      6,
    );
    expect(recorded.at(-1)).toMatchObject({ method: 'HEAD', path: '/healthz', status: 200 });
  });

  it('answers 503 naming the store when the store fails, as the route does', async () => {
    const failing = healthAnswer({
      store: {
        ...store,
        getState: () => {
          throw new Error('disk I/O error');
        },
      },
      logger,
    });
    expect(failing).toEqual({ status: 503, body: { status: 'degraded', store: 'failing' } });
    expect(lines.some((line) => line.includes('disk I/O error'))).toBe(true);
  });

  it('loads the Hono adapter once, on the first request it does not answer itself', async () => {
    const answers = await Promise.all([
      send(front, 'GET', '/api/version'),
      send(front, 'GET', '/healthz/'),
      send(front, 'POST', '/healthz'),
    ]);
    expect(loads).toBe(1);
    expect(handedOver).toBe(3);
    expect(answers.map((a) => a.status)).toEqual([401, 404, 404]);
    expect((await send(front, 'GET', '/api/version')).status).toBe(401);
    expect(loads).toBe(1);
  });
});

describe('a lazily loaded listener', () => {
  it('answers 500 when the load fails, logs why, and loads again on the next request', async () => {
    let attempts = 0;
    const ok: NodeListener = (_req, res) => void res.end('loaded');
    const listener = lazyListener(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk missing');
      return ok;
    }, logger);
    const server = createServer((req, res) => void listener(req, res));
    await listen(server);
    try {
      const first = await send(server, 'GET', '/');
      expect(first.status).toBe(500);
      expect(first.text).toContain('could not be loaded');
      expect(lines.some((line) => line.includes('chunk missing'))).toBe(true);
      expect(await send(server, 'GET', '/')).toMatchObject({ status: 200, text: 'loaded' });
      expect(attempts).toBe(2);
    } finally {
      await closeServers(server);
    }
  });
});
