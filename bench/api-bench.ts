import { randomUUID } from 'node:crypto';
import { createApp } from '../app/create-app.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/log/logger.js';
import { signRequest } from '../src/protocol/signature.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { FakeDeployer } from '../test/fakes/fake-deployer.js';
import { listen } from '../test/helpers/listening-app.js';
import { buildTestImage, OPEN_REGISTRY } from '../test/helpers/test-images.js';
import { benchDeployer, benchGlobal, benchInstance } from './bench-env.js';
import { ms, quantile, table } from './stats.js';

const SECRET = 'bench-signing-secret';
const ACCEPTED = 500;
const FLOOD_MS = 3000;
const FLOOD_CONCURRENCY = 16;

/**
 * Issue "Signed deploy requests" benchmark: latency of POST /api/deploys for accepted requests
 * (signature check, replay check in SQLite, validation, stage resolution, record), and how many
 * badly signed requests per second the app refuses while it runs a real deploy.
 */
export async function apiBench(): Promise<string> {
  const repository = `${benchInstance}/api`;
  await buildTestImage({
    repository,
    tag: 'a-1',
    behaviour: 'slow',
    healthDelaySeconds: 3,
    instanceId: benchInstance,
  });
  const image = `${OPEN_REGISTRY}/${repository}`;
  const config = {
    global: benchGlobal(),
    projects: {
      web: {
        image,
        port: 8080,
        healthcheck: '/health',
        stages: { dev: { tag_pattern: 'a-*', auto_deploy: true } },
      },
    },
  };
  const secrets = { DOCKER_WATCHER_SECRET: SECRET, DOCKER_WATCHER_TOKEN: 'bench-token' };

  // 1. Accepted requests: the HTTP path with a deploy service that only records (no Docker work).
  const fakeStore = openSqliteStore(':memory:');
  const bench = benchDeployer(config, { secrets });
  const fakeApp = createApp({
    loaded: bench.loaded,
    deployer: new FakeDeployer({ store: fakeStore }),
    store: fakeStore,
    clock: systemClock,
    logger: silentLogger,
  });
  const fakeServer = await listen(fakeApp);
  const latencies: number[] = [];
  for (let i = 0; i < ACCEPTED; i++) {
    const body = JSON.stringify({
      project: 'web',
      image,
      tag: `a-${i}`,
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: 'acme/web',
        sha: 'a'.repeat(40),
      },
    });
    const started = performance.now();
    const response = await fetch(`${fakeServer.url}/api/deploys`, signed(body));
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`bench request refused: ${response.status}`);
    latencies.push(performance.now() - started);
  }
  await fakeServer.close();
  fakeStore.close();

  // 2. A flood of bad signatures against the real app while it deploys a slow-to-start version.
  const app = createApp({
    loaded: bench.loaded,
    deployer: bench.deployer,
    store: bench.store,
    clock: systemClock,
    logger: silentLogger,
  });
  const server = await listen(app);
  const rssBefore = process.memoryUsage().rss;
  const deploy = bench.deployer.submit({
    project: 'web',
    stage: 'dev',
    image,
    tag: 'a-1',
    trigger: 'manual',
  });
  const finished = bench.deployer.waitFor(deploy.id);
  let refused = 0;
  let other = 0;
  const until = Date.now() + FLOOD_MS;
  const badBody = JSON.stringify({ project: 'web', image, tag: 'a-2' });
  await Promise.all(
    Array.from({ length: FLOOD_CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const init = signed(badBody, 'not-the-secret');
        const response = await fetch(`${server.url}/api/deploys`, init);
        await response.arrayBuffer();
        if (response.status === 401) refused++;
        else other++;
      }
    }),
  );
  const rssAfter = process.memoryUsage().rss;
  const record = await finished;
  await server.close();
  await bench.deployer.shutdown(30_000);
  bench.store.close();

  return [
    '### Signed deploy requests (POST /api/deploys on 127.0.0.1, keep-alive, one client)',
    '',
    table(
      ['measure', 'value'],
      [
        [`accepted requests: p50 latency (n=${ACCEPTED})`, ms(quantile(latencies, 0.5))],
        ['accepted requests: p99 latency', ms(quantile(latencies, 0.99))],
        [
          `bad signatures refused per second (${FLOOD_CONCURRENCY} clients, ${FLOOD_MS / 1000} s)`,
          Math.round(refused / (FLOOD_MS / 1000)),
        ],
        ['answers other than 401 during the flood', other],
        ['the deploy running meanwhile', `${record.status}`],
        ['app process RSS before / after the flood', `${mb(rssBefore)} / ${mb(rssAfter)}`],
      ],
    ),
  ].join('\n');
}

function signed(body: string, secret = SECRET): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signRequest(secret, body, {
        method: 'POST',
        path: '/api/deploys',
        key: (JSON.parse(body) as { project: string }).project,
        now: new Date(),
        deliveryId: randomUUID(),
      }),
    },
    body,
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
