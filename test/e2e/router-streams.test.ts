import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import { requireDocker, testDocker, useTestInstance } from '../helpers/docker-env.js';
import { getWithHost } from '../helpers/host-traffic.js';
import { startRealApp, type RealApp } from '../helpers/real-app.js';
import { signedPost } from '../helpers/signed-request.js';
import { buildStreamAppImages } from '../helpers/stream-app-image.js';
import { freePort } from '../helpers/test-services.js';

const hasDocker = await requireDocker();
const SECRET = 'e2e-streams-secret';
const TOKEN = 'e2e-streams-token';
const DRAIN_TIMEOUT_MS = 3_000;
const DOMAIN = 'stage-dev-streams.localhost';

/** A stream through the router: what arrived (with when), and when it ended. */
interface Stream {
  messages: { at: number; text: string }[];
  closedAt?: number;
  close(): void;
}

function openWebSocket(port: number): Promise<Stream> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host: DOMAIN } });
  const stream: Stream = { messages: [], close: () => socket.terminate() };
  socket.on('message', (data) => stream.messages.push({ at: Date.now(), text: (data as Buffer).toString() }));
  socket.on('error', () => {}); // a cut connection ends in 'close', recorded below
  socket.on('close', () => (stream.closedAt ??= Date.now()));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(stream));
    socket.once('unexpected-response', (_req, res: IncomingMessage) =>
      reject(new Error(`WebSocket upgrade answered ${res.statusCode}`)),
    );
  });
}

function openEvents(port: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/events', headers: { host: DOMAIN, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /events answered ${res.statusCode}`));
        const stream: Stream = { messages: [], close: () => req.destroy() };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const line of chunk.split('\n').filter((l) => l.startsWith('data: '))) {
            stream.messages.push({ at: Date.now(), text: line.slice('data: '.length) });
          }
        });
        res.on('error', () => {});
        res.on('close', () => (stream.closedAt ??= Date.now()));
        resolve(stream);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const versionsOf = (stream: Stream, from = 0, to = Infinity) =>
  new Set(stream.messages.filter((m) => m.at >= from && m.at <= to).map((m) => m.text.split(' ')[0]));

/**
 * The README's "Drain by in-flight requests" of the built-in router, end to end: the app from
 * its composition root, a Node container serving SSE and a WebSocket, deploys through the signed
 * deploy endpoint (as the action sends them). Streams on the old container go on during the
 * drain and are closed at global.router.drain_timeout_seconds; new connections reach the new
 * version at once; the old container is stopped only after.
 */
describe.skipIf(!hasDocker)('built-in router: a WebSocket and an SSE stream across a deploy', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/streams`;
  let app: RealApp;
  let routerPort: number;
  const open: Stream[] = [];

  beforeAll(async () => {
    await buildStreamAppImages({ repository, versions: ['v1', 'v2'], instanceId });
    routerPort = await freePort();
    app = await startRealApp({
      instanceId,
      env: { DOCKER_WATCHER_SECRET: SECRET, DOCKER_WATCHER_TOKEN: TOKEN },
      yaml: [
        'global:',
        '  domain: localhost',
        `  network: dw-e2e-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        `  router: { host: 127.0.0.1, port: ${routerPort}, drain_timeout_seconds: ${DRAIN_TIMEOUT_MS / 1000} }`,
        '  data_dir: ./data',
        '  health: { deadline_seconds: 20, interval_seconds: 0.2, timeout_seconds: 1 }',
        '  docker: { stop_timeout_seconds: 2, reach: host }',
        'projects:',
        '  streams:',
        `    image: ${repository}`,
        '    pull_policy: never',
        '    poll: false',
        '    port: 8080',
        '    healthcheck: /health',
        '    stages:',
        '      dev: { tag_pattern: "v*", auto_deploy: true }',
        '',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    for (const stream of open) stream.close();
    await app?.close();
  });

  /** POST /api/deploys signed as the action signs it; resolves the deploy id. */
  async function requestDeploy(tag: string): Promise<string> {
    const body = {
      project: 'streams',
      tag,
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: 'acme/streams',
        sha: 'b'.repeat(40),
      },
    };
    const response = await fetch(`${app.server.url}/api/deploys`, signedPost(SECRET, body));
    expect(response.status, await response.clone().text()).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  async function settled(id: string): Promise<DeployRecord> {
    let record: DeployRecord | undefined;
    await expect
      .poll(
        async () => {
          const response = await fetch(`${app.server.url}/api/deploys/${id}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          record = ((await response.json()) as { deploy: DeployRecord }).deploy;
          return ['succeeded', 'failed', 'rolled_back', 'interrupted'].includes(record.status);
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(true);
    return record!;
  }

  const phase = (record: DeployRecord, name: string) => {
    const timing = record.phases.find((p) => p.phase === name);
    if (!timing?.finishedAt) throw new Error(`deploy ${record.id} has no finished ${name} phase`);
    return { started: Date.parse(timing.startedAt), finished: Date.parse(timing.finishedAt) };
  };

  const running = async (containerName: string) =>
    (await testDocker().getContainer(containerName).inspect()).State;

  it('keeps v1 streams during the drain, closes them at drain_timeout_seconds, then stops v1; new ones reach v2', async () => {
    const first = await settled(await requestDeploy('v1'));
    expect(first.status).toBe('succeeded');
    expect(first.url).toBe(`http://${DOMAIN}:${routerPort}`);
    expect(await getWithHost(routerPort, DOMAIN)).toEqual({ status: 200, body: 'version v1\n' });

    const oldSocket = await openWebSocket(routerPort);
    const oldEvents = await openEvents(routerPort);
    open.push(oldSocket, oldEvents);
    await expect.poll(() => oldSocket.messages.length + oldEvents.messages.length).toBeGreaterThan(4);

    const id = await requestDeploy('v2');
    // The switch, as a client sees it: the first plain GET that v2 answers.
    let switchedAt = 0;
    await expect
      .poll(
        async () => {
          const answer = await getWithHost(routerPort, DOMAIN).catch(() => undefined);
          if (answer?.body === 'version v2\n') switchedAt = Date.now();
          return switchedAt > 0;
        },
        { timeout: 60_000, interval: 20 },
      )
      .toBe(true);

    // New connections during the drain reach v2.
    const newSocket = await openWebSocket(routerPort);
    const newEvents = await openEvents(routerPort);
    open.push(newSocket, newEvents);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await running(first.containerName!)).Running).toBe(true);
    expect(oldSocket.closedAt).toBeUndefined();
    expect(oldEvents.closedAt).toBeUndefined();

    const second = await settled(id);
    expect(second.status).toBe('succeeded');
    expect(second.url).toBe(first.url);
    const drain = phase(second, 'drain');
    const stopOld = phase(second, 'stop_old');

    for (const old of [oldSocket, oldEvents]) {
      // Went on on v1 after the switch, until the drain timeout closed it; nothing from v2 on it.
      expect(versionsOf(old)).toEqual(new Set(['v1']));
      expect(old.messages.filter((m) => m.at > switchedAt + 500).length).toBeGreaterThan(5);
      expect(old.closedAt).toBeDefined();
      expect(old.closedAt! - drain.started).toBeGreaterThanOrEqual(DRAIN_TIMEOUT_MS - 100);
      expect(old.closedAt! - drain.started).toBeLessThan(DRAIN_TIMEOUT_MS + 1_500);
      expect(old.closedAt!).toBeLessThanOrEqual(stopOld.started + 50);
    }
    for (const fresh of [newSocket, newEvents]) {
      expect(versionsOf(fresh)).toEqual(new Set(['v2']));
      expect(fresh.closedAt).toBeUndefined();
      expect(fresh.messages.at(-1)!.at).toBeGreaterThan(Date.now() - 500);
    }

    // The old container is stopped (kept for rollback), after its streams were closed.
    const old = await running(first.containerName!);
    expect(old.Running).toBe(false);
    expect(Date.parse(old.FinishedAt)).toBeGreaterThanOrEqual(
      Math.max(oldSocket.closedAt!, oldEvents.closedAt!),
    );
    const drainLog = app.server.store
      .listEvents(id)
      .map((event) => event.message)
      .find((message) => message.startsWith('drain:'));
    expect(drainLog).toMatch(
      new RegExp(`^drain: closed 2 request\\(s\\)/connection\\(s\\) still open on ${first.containerName}`),
    );

    // "Clients reconnect and land on the new version."
    const reconnected = await openWebSocket(routerPort);
    open.push(reconnected);
    await expect.poll(() => reconnected.messages.length).toBeGreaterThan(0);
    expect(versionsOf(reconnected)).toEqual(new Set(['v2']));
  }, 120_000);
});
