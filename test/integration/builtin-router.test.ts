import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import { silentLogger } from '../../src/log/logger.js';
import {
  startBuiltinRouter,
  type RunningBuiltinRouter,
} from '../../src/proxy/builtin/start-builtin-router.js';
import type { RouteTarget } from '../../src/proxy/router.js';

/** A loopback "container": answers with its name, streams SSE, echoes WebSockets, and misbehaves on cue. */
async function upstream(name: string): Promise<{ server: Server; port: number; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (req.url === '/slow') return void setTimeout(() => res.end(`${name} slow`), 300);
    if (req.url === '/hang') return;
    if (req.url === '/reset') return void req.socket.destroy();
    if (req.url === '/die-mid-response') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      return void setTimeout(() => req.socket.destroy(), 50);
    }
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => res.write(`data: ${name} ${++n}\n\n`), 20);
      return void res.on('close', () => clearInterval(timer));
    }
    res.end(JSON.stringify({ name, headers: req.headers }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) =>
    socket.on('message', (data) => socket.send(`${name}: ${(data as Buffer).toString()}`)),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const DOMAIN = 'stage-dev-web.localhost';
const target = (containerName: string, hostPort: number): RouteTarget => ({
  project: 'web',
  stage: 'dev',
  domain: DOMAIN,
  containerName,
  port: 8080,
  hostPort,
});

function get(
  port: number,
  path: string,
  headers: Record<string, string> = { host: DOMAIN },
  agent?: Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, ...(agent ? { agent } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and returns the first line of the answer (or '' when the router just closed). */
async function raw(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.write(bytes);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  await once(socket, 'close');
  return answer.split('\r\n')[0] ?? '';
}

describe('built-in router (loopback upstreams)', () => {
  let blue: Awaited<ReturnType<typeof upstream>>;
  let green: Awaited<ReturnType<typeof upstream>>;
  let running: RunningBuiltinRouter;
  let port: number;

  beforeAll(async () => {
    [blue, green] = await Promise.all([upstream('blue'), upstream('green')]);
    running = await startBuiltinRouter({
      config: {
        host: '127.0.0.1',
        port: 0,
        public_scheme: 'http',
        drain_timeout_seconds: 1,
        upstream_timeout_seconds: 1,
        hold_seconds: 0,
        hold_max_requests: 0,
      },
      reach: 'host',
      publishHost: '127.0.0.1',
      trustedProxies: ['10.9.9.9'],
      stages: [
        { project: 'web', stage: 'dev', domain: DOMAIN },
        { project: 'web', stage: 'qa', domain: 'stage-qa-web.localhost' },
      ],
      logger: silentLogger,
    });
    port = Number(new URL(running.url).port);
  });
  afterAll(async () => {
    await running.close();
    blue.server.closeAllConnections();
    green.server.closeAllConnections();
    blue.server.close();
    green.server.close();
  });

  it('says a configured stage is starting until its routes are restored, then that it has no live version', async () => {
    const starting = await get(port, '/', { host: 'stage-qa-web.localhost' });
    expect(starting.status).toBe(503);
    expect(starting.body).toContain('Stage web/qa is starting');
    running.markReady();
    const none = await get(port, '/', { host: 'stage-qa-web.localhost:8081' });
    expect(none.status).toBe(503);
    expect(none.body).toContain('Stage web/qa has no live version');
  });

  it('answers 404 for an unknown host, 400 without a Host header, 431 for huge headers', async () => {
    const unknown = await get(port, '/', { host: 'nobody.example' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('nobody.example');
    expect(await raw(port, 'GET / HTTP/1.0\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    const huge = `GET / HTTP/1.1\r\nhost: ${DOMAIN}\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`;
    expect(await raw(port, huge)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('routes by Host, sets X-Forwarded-* and ignores those an untrusted client sent', async () => {
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    const answer = await get(port, '/', {
      host: `${DOMAIN}:8081`,
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil.example',
      'keep-alive': 'timeout=99',
    });
    const { name, headers } = JSON.parse(answer.body) as { name: string; headers: Record<string, string> };
    expect(name).toBe('blue');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-host']).toBe(`${DOMAIN}:8081`);
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['keep-alive']).toBeUndefined();
  });

  it('answers 502 for an upstream that resets, 504 for one that hangs, and cuts a response whose container dies', async () => {
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    expect((await get(port, '/reset')).status).toBe(502);
    const hung = await get(port, '/hang');
    expect(hung.status).toBe(504);
    expect(hung.body).toContain('web/dev');
    await expect(get(port, '/die-mid-response')).rejects.toThrow();
    // A route to a port nobody listens on: the container is gone.
    const gone = createServer();
    gone.listen(0, '127.0.0.1');
    await once(gone, 'listening');
    const deadPort = (gone.address() as AddressInfo).port;
    gone.close();
    await running.router.switchTo(target('dw-web-dev-dead', deadPort));
    expect((await get(port, '/')).status).toBe(502);
    expect((await get(port, '/ok')).status).toBe(502);
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    expect((await get(port, '/')).status).toBe(200);
  });

  it("spreads a Swarm service's requests over its replicas in turn, and drains them as one version", async () => {
    // Two replicas of one version: blue and green stand for its two tasks' published ports.
    await running.router.switchTo({
      ...target('dw-web-dev-svc', blue.port),
      replicas: [{ hostPort: blue.port }, { hostPort: green.port }],
    });
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push(JSON.parse((await get(port, '/')).body).name);
    expect(names.sort()).toEqual(['blue', 'blue', 'blue', 'green', 'green', 'green']);
    // In flight on either replica counts for the version: the drain waits for both.
    const slow = [get(port, '/slow'), get(port, '/slow')];
    await new Promise((r) => setTimeout(r, 50));
    expect(running.router.table.inFlight('dw-web-dev-svc')).toBe(2);
    await running.router.switchTo(target('dw-web-dev-green', green.port));
    expect(await running.router.drain('dw-web-dev-svc')).toMatch(/2 request\(s\) in flight .* finished/);
    expect((await Promise.all(slow)).map((r) => r.body).sort()).toEqual(['blue slow', 'green slow']);
  });

  it('switches under load with no failed request, and drains by the old container in-flight requests', async () => {
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const slow = get(port, '/slow', { host: DOMAIN }, agent);
    let stop = false;
    const results: number[] = [];
    const load = Promise.all(
      Array.from({ length: 20 }, async () => {
        while (!stop) results.push((await get(port, '/', { host: DOMAIN }, agent)).status);
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    await running.router.switchTo(target('dw-web-dev-green', green.port));
    const started = Date.now();
    const line = await running.router.drain('dw-web-dev-blue');
    const drained = Date.now() - started;
    expect(line).toMatch(/finished/);
    expect((await slow).body).toBe('blue slow');
    expect(drained).toBeLessThan(900);
    expect(JSON.parse((await get(port, '/')).body).name).toBe('green');
    stop = true;
    await load;
    agent.destroy();
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((s) => s !== 200)).toEqual([]);
  });

  it('keeps a WebSocket on the old container across a swap, closes it at the drain timeout; new ones reach the new container', async () => {
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    const old = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: DOMAIN } });
    await once(old, 'open');
    await running.router.switchTo(target('dw-web-dev-green', green.port));
    old.send('hi');
    const [reply] = (await once(old, 'message')) as [Buffer];
    expect(String(reply)).toBe('blue: hi');
    const fresh = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: DOMAIN } });
    await once(fresh, 'open');
    fresh.send('hi');
    expect(String(((await once(fresh, 'message')) as [Buffer])[0])).toBe('green: hi');
    const closed = once(old, 'close');
    expect(await running.router.drain('dw-web-dev-blue')).toMatch(/closed 1 /);
    await closed;
    fresh.close();
  });

  it('streams SSE from the old container across a swap until the drain timeout, while new streams reach the new one', async () => {
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    const events: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/events', headers: { host: DOMAIN } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => events.push(chunk));
        res.on('error', () => resolve());
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    await new Promise((r) => setTimeout(r, 100));
    await running.router.switchTo(target('dw-web-dev-green', green.port));
    await new Promise((r) => setTimeout(r, 100));
    const before = events.length;
    expect(before).toBeGreaterThan(4);
    await running.router.drain('dw-web-dev-blue');
    await ended;
    expect(events.join('')).toContain('data: blue');
    expect(events.join('')).not.toContain('green');
    expect(running.router.table.inFlight('dw-web-dev-blue')).toBe(0);
  });

  it('cuts a slowloris client that sends its headers a byte at a time after the headers timeout (408)', async () => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    const closed = once(socket, 'close');
    const started = Date.now();
    const drip = setInterval(() => socket.writable && socket.write('x'), 500);
    socket.write(`GET / HTTP/1.1\r\nhost: ${DOMAIN}\r\nx-slow: `);
    await closed;
    clearInterval(drip);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(Date.now() - started).toBeLessThan(13_000);
    // The router still serves everyone else.
    expect((await get(port, '/', { host: 'nobody.example' })).status).toBe(404);
  }, 20_000);

  it('serves 1,000 concurrent keep-alive clients', async () => {
    await running.router.switchTo(target('dw-web-dev-green', green.port));
    const agent = new Agent({ keepAlive: true, maxSockets: 1000 });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => get(port, '/', { host: DOMAIN }, agent).then((a) => a.status)),
    );
    agent.destroy();
    expect(answers.filter((s) => s !== 200)).toEqual([]);
  }, 30_000);
});

describe('built-in router: requests held while a route is coming', () => {
  const QA = 'stage-qa-web.localhost';
  let blue: Awaited<ReturnType<typeof upstream>>;
  let running: RunningBuiltinRouter;
  let port: number;
  const status = (s: 'running' | 'succeeded') =>
    running.observer.onDeployEvent(
      { deployId: 'd1', seq: 1, at: '', type: 'status', level: 'info', message: '', status: s },
      { project: 'web', stage: 'qa' } as DeployRecord,
    );

  beforeAll(async () => {
    blue = await upstream('blue');
    running = await startBuiltinRouter({
      config: {
        host: '127.0.0.1',
        port: 0,
        public_scheme: 'http',
        drain_timeout_seconds: 1,
        upstream_timeout_seconds: 1,
        hold_seconds: 0.6,
        hold_max_requests: 3,
      },
      reach: 'host',
      publishHost: '127.0.0.1',
      trustedProxies: [],
      stages: [
        { project: 'web', stage: 'dev', domain: DOMAIN },
        { project: 'web', stage: 'qa', domain: QA },
      ],
      logger: silentLogger,
    });
    port = Number(new URL(running.url).port);
  });
  afterAll(async () => {
    await running.close();
    blue.server.closeAllConnections();
    blue.server.close();
  });

  it('holds a request during start-up until the live route is loaded, then serves it', async () => {
    const started = Date.now();
    const answer = get(port, '/');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running.held()).toBe(1);
    await running.router.switchTo(target('dw-web-dev-blue', blue.port));
    expect((await answer).status).toBe(200);
    expect(JSON.parse((await answer).body).name).toBe('blue');
    expect(Date.now() - started).toBeLessThan(500);
    expect(running.held()).toBe(0);
  });

  it('holds at most hold_seconds, then answers the 503; beyond hold_max_requests, at once', async () => {
    const timed = (p: Promise<{ status: number; body: string }>, from = Date.now()) =>
      p.then((a) => ({ ...a, ms: Date.now() - from }));
    const answers = await Promise.all(Array.from({ length: 5 }, () => timed(get(port, '/', { host: QA }))));
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    expect(answers.every((a) => a.body.includes('Stage web/qa is starting'))).toBe(true);
    const waited = answers.filter((a) => a.ms >= 550);
    expect(waited).toHaveLength(3);
    expect(answers.filter((a) => a.ms < 300)).toHaveLength(2);
    expect(running.held()).toBe(0);
  });

  it('forgets a held request whose client went away', async () => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: QA } });
    req.on('error', () => {});
    req.end();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running.held()).toBe(1);
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running.held()).toBe(0);
  });

  it('once ready, answers a stage without a route at once, and holds it while its first deploy runs', async () => {
    running.markReady();
    let started = Date.now();
    expect((await get(port, '/', { host: QA })).body).toContain('Stage web/qa has no live version');
    expect(Date.now() - started).toBeLessThan(300);

    status('running');
    started = Date.now();
    const answer = get(port, '/', { host: QA });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await running.router.switchTo({ ...target('dw-web-qa-blue', blue.port), stage: 'qa', domain: QA });
    expect((await answer).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    await running.router.remove(QA);

    // The deploy failed: what waits is answered at once, and nothing more is held.
    const failing = get(port, '/', { host: QA });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running.held()).toBe(1);
    status('succeeded');
    expect((await failing).status).toBe(503);
    expect(running.held()).toBe(0);
  });
});
