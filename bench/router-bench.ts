import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { npmSchema } from '../src/config/schema.js';
import { LABEL_INSTANCE } from '../src/docker/engine.js';
import { silentLogger } from '../src/log/logger.js';
import { startBuiltinRouter } from '../src/proxy/builtin/start-builtin-router.js';
import type { ProxyRouter, RouteTarget } from '../src/proxy/router.js';
import { getWithHost } from '../test/helpers/host-traffic.js';
import { buildStreamAppImages } from '../test/helpers/stream-app-image.js';
import { BENCH_ROOT } from './app-process.js';
import { benchInstance } from './bench-env.js';
import { ms, table } from './stats.js';
import { startBenchNpm } from './bench-npm.js';

const run = promisify(execFile);
const SWAP_RATES = [200, 1000, 2000] as const;
const SWAPS = 10;
/** One swap every this many ms, the load running through all of them (nginx takes up to ~1 s to switch). */
const SWAP_EVERY_MS = 2000;
const DOMAIN = 'stage-dev-web.router.bench';

interface LoadResult {
  requests: number;
  failed: number;
  errors: Record<string, number>;
  p50: number;
  p99: number;
  rps: number;
  /** With `track`: [when the request was made, when its answer ended (wall-clock ms), the body] of each answer. */
  answers?: [number, number, string][];
}

/** Runs bench/router-load.mjs in its own process against 127.0.0.1:port with the given Host. */
function load(input: {
  port: number;
  host: string;
  connections: number;
  seconds: number;
  rate?: number;
  track?: boolean;
}) {
  const child = spawn(process.execPath, [join(BENCH_ROOT, 'bench', 'router-load.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(input));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise<LoadResult>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load exited ${code}`)),
    ),
  );
}

/**
 * For each swap, how long after the switch call began the old container still got requests: the
 * latest time a request was made that the previous version answered before the next swap (0 when
 * every request made after the switch call reached the new container). An answer that ended
 * after the next swap is left out: that swap may have routed it. Swaps alternate blue and green,
 * starting with green.
 */
function oldContainerLags(answers: [number, number, string][], switchedAt: number[]): number[] {
  const lags = switchedAt.map((at, i) => {
    const until = switchedAt[i + 1] ?? Infinity;
    const old = `version ${i % 2 === 0 ? 'blue' : 'green'}`;
    let lag = 0;
    for (const [madeAt, answeredAt, body] of answers) {
      if (madeAt >= at && answeredAt < until && body === old) lag = Math.max(lag, madeAt - at);
    }
    return lag;
  });
  return lags.sort((a, b) => a - b);
}

const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));

/** A test-image container with its port published on 127.0.0.1, labelled for cleanupBench. */
async function container(image: string, name: string): Promise<{ name: string; hostPort: number }> {
  await run('docker', [
    'run',
    '-d',
    '--name',
    name,
    '--label',
    `${LABEL_INSTANCE}=${benchInstance}`,
    '-p',
    '127.0.0.1::8080',
    image,
  ]);
  const { stdout } = await run('docker', ['port', name, '8080/tcp']);
  const hostPort = Number(/:(\d+)\s*$/m.exec(stdout.trim().split('\n')[0]!)?.[1]);
  for (let i = 0; i < 100; i++) {
    if ((await getWithHost(hostPort, 'x').catch(() => undefined))?.status === 200) break;
    await sleep(100);
  }
  return { name, hostPort };
}

/**
 * Issue 15's benchmark: the built-in router, Debian's nginx configured through the fake NPM, and
 * the container directly, side by side, with the load in its own process. Requests per second at
 * saturation (50 kept-alive connections, 5 s) and latency p50/p99 at 1,000 req/s; failed requests
 * during 10 swaps between two running containers at 200, 1,000 and 2,000 req/s; and, per swap,
 * how long after the switch call requests still reached the old container (from the load's own
 * answers) and when a fresh GET first got the new one. The containers run node:http
 * (test/fixtures/stream-app/server.mjs, kept-alive) behind their published ports, as the router
 * reaches them with global.docker.reach: host, and serve several times the 2,000 req/s (the
 * "direct" row), so the swap figures are the proxies', not a saturated backend's.
 */
export async function routerBench(): Promise<string> {
  const repository = `${benchInstance}/router`;
  const [blueImage, greenImage] = await buildStreamAppImages({
    repository,
    versions: ['blue', 'green'],
    instanceId: benchInstance,
    serverPath: join(BENCH_ROOT, 'test', 'fixtures', 'stream-app', 'server.mjs'),
  });
  const blue = await container(blueImage!, `${benchInstance}-blue`);
  const green = await container(greenImage!, `${benchInstance}-green`);
  const targets = [blue, green].map((c): RouteTarget => ({
    project: 'web',
    stage: 'dev',
    domain: DOMAIN,
    containerName: c.name,
    port: 8080,
    hostPort: c.hostPort,
  }));

  const builtin = await startBuiltinRouter({
    config: {
      host: '127.0.0.1',
      port: 0,
      public_scheme: 'http',
      drain_timeout_seconds: 30,
      upstream_timeout_seconds: 60,
      hold_seconds: 0,
      hold_max_requests: 0,
    },
    reach: 'host',
    publishHost: '127.0.0.1',
    trustedProxies: [],
    stages: [{ project: 'web', stage: 'dev', domain: DOMAIN }],
    logger: silentLogger,
  });
  builtin.markReady();
  const proxy = await startBenchNpm();
  const { nginx } = proxy;
  const npmRouter = proxy.router(npmSchema.parse(proxy.settings));

  const proxies: { name: string; port: number; router?: ProxyRouter }[] = [
    { name: 'built-in router', port: Number(new URL(builtin.url).port), router: builtin.router },
    { name: 'nginx (fake NPM)', port: nginx.port, router: npmRouter },
    { name: 'direct', port: blue.hostPort },
  ];
  const throughput: (string | number)[][] = [];
  const swaps: (string | number)[][] = [];
  const rpsOf: Record<string, number> = {};
  try {
    for (const proxy of proxies) {
      if (proxy.router) {
        await proxy.router.switchTo(targets[0]!);
        await proxy.router.confirm(targets[0]!);
      }
      const saturated = await load({ port: proxy.port, host: DOMAIN, connections: 50, seconds: 5 });
      const paced = await load({ port: proxy.port, host: DOMAIN, connections: 100, seconds: 5, rate: 1000 });
      rpsOf[proxy.name] = saturated.rps;
      throughput.push([
        proxy.name,
        Math.round(saturated.rps),
        saturated.failed,
        ms(paced.p50),
        ms(paced.p99),
        paced.failed,
      ]);
    }
    for (const proxy of proxies.filter((p) => p.router)) {
      for (const rate of SWAP_RATES) {
        let current = 0;
        const switchTimes: number[] = [];
        const switchedAt: number[] = [];
        const baseline: number[] = [];
        const running = load({
          port: proxy.port,
          host: DOMAIN,
          connections: 200,
          seconds: (SWAPS * SWAP_EVERY_MS + 3000) / 1000,
          rate,
          track: true,
        });
        const first = performance.now() + 1000;
        for (let i = 0; i < SWAPS; i++) {
          current = 1 - current;
          const next = targets[current]!;
          await sleep(first + i * SWAP_EVERY_MS - performance.now() - 200);
          // The same GET just before the switch: what such a request costs under this load anyway.
          const probed = performance.now();
          await getWithHost(proxy.port, DOMAIN).catch(() => undefined);
          baseline.push(performance.now() - probed);
          await sleep(first + i * SWAP_EVERY_MS - performance.now());
          const started = performance.now();
          switchedAt.push(performance.timeOrigin + started);
          await proxy.router!.switchTo(next);
          await proxy.router!.confirm(next);
          for (;;) {
            const answer = await getWithHost(proxy.port, DOMAIN).catch(() => undefined);
            if (answer?.body.includes(`version ${current === 0 ? 'blue' : 'green'}`)) break;
          }
          switchTimes.push(performance.now() - started);
        }
        const result = await running;
        switchTimes.sort((a, b) => a - b);
        baseline.sort((a, b) => a - b);
        const lags = oldContainerLags(result.answers ?? [], switchedAt);
        swaps.push([
          proxy.name,
          rate,
          result.requests,
          result.failed,
          Object.entries(result.errors)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ') || '-',
          ms(lags[Math.floor(lags.length / 2)]!),
          ms(lags.at(-1)!),
          ms(switchTimes[Math.floor(switchTimes.length / 2)]!),
          ms(switchTimes.at(-1)!),
          ms(baseline[Math.floor(baseline.length / 2)]!),
        ]);
      }
    }
  } finally {
    await builtin.close();
    await proxy.close();
  }
  const ratio = (rpsOf['built-in router']! / rpsOf['nginx (fake NPM)']!).toFixed(2);
  return [
    '### Router: built-in vs nginx (configured by the fake NPM) vs direct (Node stand-in containers, node:http, via the published port)',
    '',
    table(
      [
        'path',
        'req/s at saturation (50 conns)',
        'failed',
        'p50 at 1,000 req/s',
        'p99 at 1,000 req/s',
        'failed at 1,000',
      ],
      throughput,
    ),
    '',
    `Built-in router throughput: ${ratio} x nginx's.`,
    '',
    'The fresh GETs are sent from the bench process, which also runs the built-in router: under load',
    "their time includes the router's own event-loop queue, with or without a switch (last column).",
    '',
    table(
      [
        'router',
        'req/s',
        'requests',
        'failed during 10 swaps',
        'errors',
        'switch -> all new requests on the new container (median)',
        '(max)',
        'switch -> a fresh GET answered by the new one (median)',
        '(max)',
        'the same GET without a switch (median)',
      ],
      swaps,
    ),
  ].join('\n');
}
