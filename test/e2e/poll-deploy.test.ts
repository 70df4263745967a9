import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../app/server.js';
import { requireDocker, useTestInstance } from '../helpers/docker-env.js';
import { startRealApp, type RealApp } from '../helpers/real-app.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';

/**
 * "Pushing a dev-* tag to the registry, with no CI step at all, makes it live on dev within a
 * minute, and the configured notification arrives": the real app from its composition root,
 * the real registry and engine, and a loopback receiver for the notifications.
 */
const run = promisify(execFile);
const hasDocker = await requireDocker();

interface Notification {
  event: string;
  tag: string;
  status: string;
  trigger: string;
  url?: string;
}

describe.skipIf(!hasDocker)('a push to the registry deploys with no CI step', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/polled`;
  const received: Notification[] = [];
  let receiver: Server;
  let app: RealApp;
  let server: RunningServer;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as Notification);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    await buildTestImage({ repository, tag: 'dev-1', behaviour: 'healthy', instanceId });
    app = await startRealApp({
      instanceId,
      env: { DOCKER_WATCHER_SECRET: 'poll-secret', DOCKER_WATCHER_TOKEN: 'poll-token' },
      yaml: [
        'global:',
        `  network: dw-e2e-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        '  data_dir: ./data',
        `  notification_url: ${receiverUrl}`,
        '  health: { deadline_seconds: 10, interval_seconds: 0.2 }',
        '  docker: { drain_seconds: 0, stop_timeout_seconds: 2, reach: host }',
        'registries:',
        `  local: { url: "http://${OPEN_REGISTRY}", insecure: true, poll_interval_seconds: 5 }`,
        'projects:',
        '  web:',
        '    registry: local',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    port: 8080',
        '    healthcheck: /health',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '',
      ],
    });
    server = app.server;
  });

  afterAll(async () => {
    await app?.close();
    await new Promise<void>((done) => (receiver ? receiver.close(() => done()) : done()));
  });

  const until = async (what: string, check: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('deploys the tag found at start-up, then a newly pushed one within one interval, and notifies', async () => {
    await until('dev-1 live', () => server.store.getLive('web', 'dev')?.tag === 'dev-1', 20_000);

    const pushedAt = Date.now();
    await buildTestImage({ repository, tag: 'dev-2', behaviour: 'healthy', instanceId });
    // One interval is 5 s (+-10% jitter); the deploy itself takes about a second here.
    await until('dev-2 live', () => server.store.getLive('web', 'dev')?.tag === 'dev-2', 12_000);
    const latency = Date.now() - pushedAt;
    expect(latency).toBeLessThan(12_000);

    const deploy = server.store.listDeploys({ project: 'web', stage: 'dev', limit: 1 })[0]!;
    expect(deploy.intent.trigger).toBe('poll');
    expect(deploy.digest).toMatch(/^sha256:/);
    const live = await fetch(deploy.url!).then((r) => r.text());
    expect(live).toContain('version dev-2');

    await until(
      'succeeded notification for dev-2',
      () => received.some((n) => n.tag === 'dev-2' && n.event === 'succeeded'),
      5_000,
    );
    const forDev2 = received.filter((n) => n.tag === 'dev-2').map((n) => n.event);
    expect(forDev2).toEqual(['started', 'succeeded']);
    expect(received.find((n) => n.tag === 'dev-2' && n.event === 'succeeded')).toMatchObject({
      status: 'succeeded',
      trigger: 'poll',
      url: deploy.url,
    });
  });

  it('does nothing when the same digest is pushed again under a seen tag', async () => {
    const before = server.store.listDeploys({ project: 'web' }).length;
    await run('docker', ['push', `${OPEN_REGISTRY}/${repository}:dev-2`]);
    // Longer than one poll interval (5 s + 10% jitter).
    await new Promise((r) => setTimeout(r, 6_000));
    expect(server.store.listDeploys({ project: 'web' }).length).toBe(before);
  });
});
