import { Agent, request } from 'node:http';
import { configSchema } from '../src/config/schema.js';
import { stageDomain } from '../src/config/domains.js';
import { type NpmClient } from '../src/proxy/npm/npm-client.js';
import type { ProxyRouter, RouteTarget } from '../src/proxy/router.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { type FakeNpm } from '../test/fakes/npm/fake-npm-server.js';
import { buildTestImage, OPEN_REGISTRY } from '../test/helpers/test-images.js';
import { benchDeployer, benchGlobal, benchInstance } from './bench-env.js';
import { ms, table } from './stats.js';
import { NPM_PASSWORD, startBenchNpm } from './bench-npm.js';

const RATES = [200, 400, 800] as const; // requests per second, paced
const NEEDLESS_WRITES = 30;

interface Sample {
  at: number;
  ok: boolean;
  error?: string;
  version?: string | undefined;
  /** Sent again on a new connection after its kept-alive one was reset before any answer. */
  retried?: string;
}

/** What a client does when a kept-alive connection is reset before the first byte of the answer. */
export interface PaceOptions {
  /**
   * Send the GET once more on a new connection, as browsers do and RFC 9112 §9.3.1 allows for an
   * idempotent request: nginx's old workers close their idle kept-alive connections at a reload,
   * and a request written onto one in that instant is reset (Node's agent does not retry).
   */
  retryIdleReset?: boolean;
}

/**
 * Issue 22's benchmark: paced load (kept-alive connections, as browsers and load balancers keep
 * them) through a real nginx that the fake NPM configures from the proxy hosts docker-watcher
 * writes (NPM's reload lag included), while a new version is deployed blue-green. Per rate:
 * failed requests during the swap and the time from "healthy" to "every answer from the new
 * container", with the needless write docker-watcher used to send (the same host PUT again,
 * as on every start and after a failed deploy: one more nginx reload) and without it (now: a
 * host already right gets no write). Then 30 re-applies of an unchanged route under load, as
 * PUTs (before) and through the router (after: no write). Last, the same paced load while a stage
 * with `strategy: recreate` (stop, then start) deploys a new version, against blue-green's rows.
 */
export async function trafficBench(): Promise<string> {
  const repository = `${benchInstance}/traffic`;
  const tags = Array.from({ length: 2 * RATES.length + 1 }, (_, i) => `t-${i + 1}`);
  const recreateTags = Array.from({ length: RATES.length + 1 }, (_, i) => `r-${i + 1}`);
  for (const tag of [...tags, ...recreateTags]) {
    await buildTestImage({ repository, tag, behaviour: 'healthy', instanceId: benchInstance });
  }
  const image = `${OPEN_REGISTRY}/${repository}`;
  const proxy = await startBenchNpm();
  const { nginx, npm, client } = proxy;
  const store = openSqliteStore(':memory:');
  const config = configSchema.parse({
    global: benchGlobal({
      domain: 'bench.test',
      // The default drain: nginx workers of the configuration before the reload still serve
      // their kept-alive connections with the old upstream for a moment.
      docker: { drain_seconds: 2, stop_timeout_seconds: 2, publish_host: '127.0.0.1', reach: 'host' },
      npm: proxy.settings,
    }),
    projects: {
      web: {
        image,
        port: 8080,
        healthcheck: '/health',
        stages: {
          dev: { tag_pattern: 't-*', auto_deploy: true },
          rec: { tag_pattern: 'r-*', auto_deploy: true, strategy: 'recreate' as const },
        },
      },
    },
  });
  const router = proxy.router(config.global.npm!);
  let needless = false;
  /** Before: the same host written once more after the switch (one more reload). */
  const withNeedlessWrite: ProxyRouter = {
    ...router,
    async switchTo(target, signal) {
      const snapshot = await router.switchTo(target, signal);
      if (needless) await rewrite(client, npm, target);
      return snapshot;
    },
  };
  const bench = benchDeployer(config, { router: withNeedlessWrite, store, secrets: { NPM_PASSWORD } });
  const domain = stageDomain(bench.loaded.config, 'web', 'dev');
  const swaps: (string | number)[][] = [];
  const steady: (string | number)[][] = [];
  const recreate: (string | number)[][] = [];
  try {
    let next = 0;
    await bench.deploy({ project: 'web', stage: 'dev', image, tag: tags[next++]! });
    for (const rate of RATES) {
      for (const variant of ['before', 'after'] as const) {
        needless = variant === 'before';
        const tag = tags[next++]!;
        const load = paceLoad(nginx.port, domain, rate);
        await sleep(1000);
        const record = await bench.deploy({ project: 'web', stage: 'dev', image, tag });
        await sleep(1000);
        const samples = await load.stop();
        const healthyAt = Date.parse(record.phases.find((p) => p.phase === 'health')?.finishedAt ?? '');
        const failed = samples.filter((s) => !s.ok);
        swaps.push([
          rate,
          variant === 'before' ? 'before: + the same host PUT again' : 'after: no needless write',
          samples.length,
          failed.length,
          errorsOf(failed),
          ms(allOnNewAfter(samples, `version ${tag}`) - healthyAt),
        ]);
      }
    }
    needless = false;
    const live = store.getLive('web', 'dev')!;
    const inspected = await bench.docker.inspectContainer(live.containerId);
    const target: RouteTarget = {
      project: 'web',
      stage: 'dev',
      domain,
      containerName: live.containerName,
      port: 8080,
      healthPath: '/health',
      ...(inspected?.hostPort === undefined ? {} : { hostPort: inspected.hostPort }),
    };
    for (const variant of ['before', 'after'] as const) {
      const puts = () => npm.requests.filter((r) => r.method === 'PUT').length;
      const putsBefore = puts();
      const load = paceLoad(nginx.port, domain, 400);
      await sleep(500);
      for (let i = 0; i < NEEDLESS_WRITES; i++) {
        if (variant === 'before') await rewrite(client, npm, target);
        else await router.switchTo(target);
        await sleep(100);
      }
      await npm.settled();
      await sleep(500);
      const samples = await load.stop();
      const failed = samples.filter((s) => !s.ok);
      steady.push([
        variant === 'before'
          ? `before: ${NEEDLESS_WRITES} PUTs of the unchanged host`
          : `after: ${NEEDLESS_WRITES} re-applies through the router`,
        puts() - putsBefore,
        samples.length,
        failed.length,
        errorsOf(failed),
      ]);
    }
    const recDomain = stageDomain(bench.loaded.config, 'web', 'rec');
    await bench.deploy({ project: 'web', stage: 'rec', image, tag: recreateTags[0]! });
    for (const [i, rate] of RATES.entries()) {
      const tag = recreateTags[i + 1]!;
      const load = paceLoad(nginx.port, recDomain, rate);
      await sleep(1000);
      const record = await bench.deploy({ project: 'web', stage: 'rec', image, tag });
      await sleep(1000);
      const samples = await load.stop();
      const failed = samples.filter((s) => !s.ok);
      const bg = swaps.find((row) => row[0] === rate && String(row[1]).startsWith('after'));
      recreate.push([
        rate,
        bg ? `${bg[3]} of ${bg[2]}` : '-',
        `${failed.length} of ${samples.length}`,
        errorsOf(failed),
        record.downtimeMs === undefined ? '-' : ms(record.downtimeMs),
      ]);
    }
    await bench.deployer.shutdown(30_000);
  } finally {
    store.close();
    await proxy.close();
  }
  return [
    `### NPM: blue-green swap through a real nginx driven by the (fake) NPM, paced load on kept-alive connections`,
    '',
    table(['req/s', 'needless write', 'requests', 'failed', 'errors', 'healthy -> all on new'], swaps),
    '',
    `### NPM: ${NEEDLESS_WRITES} re-applies of an unchanged route at 400 req/s`,
    '',
    table(['variant', 'PUTs (nginx reloads)', 'requests', 'failed', 'errors'], steady),
    '',
    '### NPM: blue-green against recreate (stop, then start), the same paced load',
    '',
    table(
      ['req/s', 'blue-green failed', 'recreate failed', 'recreate errors', 'recreate downtime'],
      recreate,
    ),
  ].join('\n');
}

/** The same host written again, changing nothing: NPM still reloads nginx. */
async function rewrite(client: NpmClient, npm: FakeNpm, target: RouteTarget): Promise<void> {
  const host = await client.findProxyHost(target.domain);
  if (!host) return;
  await client.updateProxyHost(host.id, { forward_port: host.forward_port });
  await npm.settled();
}

export function errorsOf(failed: Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of failed) counts.set(s.error ?? '?', (counts.get(s.error ?? '?') ?? 0) + 1);
  return [...counts].map(([e, n]) => `${n}× ${e}`).join(', ') || '-';
}

/** Sends `rate` requests per second over a pool of kept-alive connections until stopped. */
export function paceLoad(port: number, host: string, rate: number, options: PaceOptions = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const perTick = rate / 50;
  let owed = 0;
  const timer = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) {
      const at = Date.now();
      const p = get(agent, port, host, options.retryIdleReset === true).then(
        (r) =>
          void samples.push({
            at,
            ok: r.status === 200,
            ...(r.status === 200 ? {} : { error: `HTTP ${r.status}` }),
            version: /version (\S+)/.exec(r.body)?.[0],
            ...(r.retried === undefined ? {} : { retried: r.retried }),
          }),
        (error: unknown) =>
          void samples.push({ at, ok: false, error: (error as NodeJS.ErrnoException).code ?? String(error) }),
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  }, 20);
  return {
    async stop(): Promise<Sample[]> {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

/** Start time of the first request after which every answer came from `version`. */
function allOnNewAfter(samples: Sample[], version: string): number {
  let last = Number.NaN;
  for (const s of samples) {
    if (s.version !== version) last = Number.NaN;
    else if (Number.isNaN(last)) last = s.at;
  }
  return last;
}

function get(
  agent: Agent | false,
  port: number,
  host: string,
  retryIdleReset = false,
): Promise<{ status: number; body: string; retried?: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: 5000 },
      (res) => {
        answered = true;
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const idleReset =
        retryIdleReset && req.reusedSocket && !answered && ['ECONNRESET', 'EPIPE'].includes(error.code ?? '');
      if (!idleReset) return reject(error);
      get(false, port, host).then((r) => resolve({ ...r, retried: error.code ?? 'reset' }), reject);
    });
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
