import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { signRequest } from '../src/protocol/signature.js';
import {
  BENCH_ROOT,
  freePort,
  mb,
  quickstartConfig,
  rssOf,
  startAppProcess,
  type AppProcess,
} from './app-process.js';
import { startNodeOptions } from './idle-bench.js';
import { median, ms, quantile, table } from './stats.js';

const CONNECTIONS = 16;
const BODY_BYTES = 64 * 1024;
const FLOOD_SECONDS = 5;
const HEALTH_EVERY_MS = 10;

interface FloodResult {
  refusedPerSecond: number;
  otherAnswers: number;
  healthP50: number;
  healthP99: number;
  healthFailures: number;
  rssGrowth: number;
  logLines: number;
  sample?: string[];
}

/** A 64 KB deploy request for the quickstart's project, signed with the wrong secret. */
function badRequest(): { path: string; headers: Record<string, string>; body: string } {
  const start = JSON.stringify({
    project: 'demo',
    image: '127.0.0.1:5000/demo/hello',
    tag: 'flood',
    pad: '',
  });
  const body = start.replace('"pad":""', `"pad":"${'x'.repeat(BODY_BYTES - start.length)}"`);
  const headers = signRequest('not-the-secret', body, {
    method: 'POST',
    path: '/api/deploys',
    key: 'demo',
    now: new Date(),
    deliveryId: randomUUID(),
  });
  return { path: '/api/deploys', headers: { 'Content-Type': 'application/json', ...headers }, body };
}

/** Runs the flood client in its own process against `url` and returns what it printed. */
async function runClient(
  url: string,
): Promise<{ requests: number; byStatus: Record<string, number>; seconds: number }> {
  const client = spawn(process.execPath, [join(BENCH_ROOT, 'bench', 'flood-client.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  client.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((done) => client.on('exit', done));
  client.stdin.end(
    JSON.stringify({ url, ...badRequest(), connections: CONNECTIONS, seconds: FLOOD_SECONDS }),
  );
  const code = await exited;
  if (code !== 0) throw new Error(`the flood client exited ${code}`);
  return JSON.parse(out) as { requests: number; byStatus: Record<string, number>; seconds: number };
}

/** GET /healthz on one keep-alive connection of its own: the milliseconds it took, or NaN on failure. */
function probeHealth(url: string, agent: Agent): Promise<number> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(`${url}/healthz`, { agent, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200 ? performance.now() - started : Number.NaN));
    });
    req.on('error', () => done(Number.NaN));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function flood(app: Pick<AppProcess, 'url' | 'rss' | 'logLines'>): Promise<FloodResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const logBefore = app.logLines().length;
  const rssBefore = app.rss();
  let rssPeak = rssBefore;
  const latencies: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      latencies.push(await probeHealth(app.url, agent));
      rssPeak = Math.max(rssPeak, app.rss());
      await new Promise((done) => setTimeout(done, HEALTH_EVERY_MS));
    }
  })();
  const result = await runClient(app.url);
  probing = false;
  await prober;
  agent.destroy();
  const ok = latencies.filter((value) => Number.isFinite(value));
  const refused = result.byStatus['401'] ?? 0;
  return {
    refusedPerSecond: refused / result.seconds,
    otherAnswers: result.requests - refused,
    healthP50: quantile(ok, 0.5),
    healthP99: quantile(ok, 0.99),
    healthFailures: latencies.length - ok.length,
    rssGrowth: rssPeak - rssBefore,
    logLines: app
      .logLines()
      .slice(logBefore)
      .filter((line) => line.includes('"status":401') || line.includes('"requests refused"')).length,
    ...(process.env.BENCH_SHOW_LOG ? { sample: app.logLines().slice(logBefore, logBefore + 5) } : {}),
  };
}

/** BENCH_CPU_PROF=DIR: CPU profiles of the app and the bare server under the flood, written there as they stop. */
function cpuProfile(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** Each figure of `list` (one flood per round) as its median. */
function medianResult(list: FloodResult[]): FloodResult {
  const of = (pick: (result: FloodResult) => number) => median(list.map(pick));
  return {
    refusedPerSecond: of((r) => r.refusedPerSecond),
    otherAnswers: Math.max(...list.map((r) => r.otherAnswers)),
    healthP50: of((r) => r.healthP50),
    healthP99: of((r) => r.healthP99),
    healthFailures: Math.max(...list.map((r) => r.healthFailures)),
    rssGrowth: of((r) => r.rssGrowth),
    logLines: Math.max(...list.map((r) => r.logLines)),
  };
}

/** bench/flood-ceiling.mjs: the bare node:http server the app is compared with. */
async function startCeiling(): Promise<Pick<AppProcess, 'url' | 'rss' | 'logLines' | 'stop'>> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...cpuProfile(), join(BENCH_ROOT, 'bench', 'flood-ceiling.mjs'), String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((done, fail) => {
    child.stdout.once('data', () => done());
    child.once('exit', (code) => fail(new Error(`bench/flood-ceiling.mjs exited ${code}`)));
  });
  const pid = child.pid!;
  return {
    url: `http://127.0.0.1:${port}`,
    rss: () => rssOf(pid),
    logLines: () => [],
    stop: async () => {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Issue 21's flood: 16 clients sending 64 KB deploy requests with bad signatures to the app as
 * `npm start` runs it (quickstart config, its own process), the client in a process of its own;
 * /healthz is probed every 10 ms meanwhile. With `before`, the same flood against the checkout
 * at that path (its dist/ built), in the same run; with `rounds`, each target that many times in
 * turn, each figure the median of its rounds.
 */
export async function floodBench(before?: string, rounds = 1): Promise<string> {
  const targets: [
    string,
    (() => Promise<Pick<AppProcess, 'url' | 'rss' | 'logLines' | 'stop'>>) | undefined,
  ][] = [
    [
      'before',
      before === undefined
        ? undefined
        : () => startAppProcess(before, quickstartConfig(before), startNodeOptions(before)),
    ],
    [
      'after',
      () =>
        startAppProcess(BENCH_ROOT, quickstartConfig(BENCH_ROOT), [
          ...startNodeOptions(BENCH_ROOT),
          // BENCH_CPU_PROF=DIR: a CPU profile of the app under the flood, written there when it stops.
          ...(process.env.BENCH_CPU_PROF
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
            : []),
        ]),
    ],
    ['bare', startCeiling],
  ];
  // Rounds take turns (before, after, bare, before, ...): on a machine shared with other work the
  // load moves within a run, and each column's median then saw the same conditions.
  const runs = new Map<string, FloodResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [label, start] of targets) {
      if (!start) continue;
      const app = await start();
      try {
        const result = await flood(app);
        if (result.sample) console.error(result.sample.join('\n'));
        runs.set(label, [...(runs.get(label) ?? []), result]);
      } finally {
        await app.stop();
      }
    }
  }
  const results = new Map([...runs].map(([label, list]) => [label, medianResult(list)]));
  const cell = (label: string, pick: (result: FloodResult) => string) => {
    const result = results.get(label);
    return result ? pick(result) : '-';
  };
  const row = (name: string, target: string, pick: (result: FloodResult) => string) => [
    name,
    cell('before', pick),
    cell('after', pick),
    target,
    cell('bare', pick),
  ];
  return [
    `### Flood of bad signatures (${CONNECTIONS} clients, ${BODY_BYTES / 1024} KB bodies, ${FLOOD_SECONDS} s, client in its own process${rounds > 1 ? `; median of ${rounds} rounds taken in turn, worst answers and failures` : ''})`,
    '',
    before ? `before: ${before}` : 'before: not measured (pass --before DIR, a checkout with dist/ built)',
    'bare node:http: bench/flood-ceiling.mjs, reads the body, HMACs it, answers 401; no framework, no log',
    '',
    table(
      ['measure', 'before', 'after', 'target', 'bare node:http (reference)'],
      [
        row('bad signatures refused per second', '>= 5000', (r) => String(Math.round(r.refusedPerSecond))),
        row('answers other than 401', '0', (r) => String(r.otherAnswers)),
        row('/healthz p50 during the flood', '', (r) => ms(r.healthP50)),
        row('/healthz p99 during the flood', '<= 10 ms', (r) => ms(r.healthP99)),
        row('/healthz failures during the flood', '0', (r) => String(r.healthFailures)),
        row('app RSS growth (peak - before)', '<= 30 MB', (r) => mb(r.rssGrowth)),
        row('log lines about the refused requests', '', (r) => String(r.logLines)),
      ],
    ),
  ].join('\n');
}
