import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configSchema } from '../src/config/schema.js';
import { stageDomain } from '../src/config/domains.js';
import { PHASES, type DeployRecord } from '../src/core/deploy-types.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { NginxInstance } from '../test/helpers/nginx-instance.js';
import { buildTestImage, OPEN_REGISTRY } from '../test/helpers/test-images.js';
import { ensureTestSwarm, leaveSwarmIfOurs } from '../test/helpers/test-swarm.js';
import { benchDeployer, benchGlobal, benchInstance, phaseMs, totalMs } from './bench-env.js';
import { median, ms, table } from './stats.js';
import { errorsOf, paceLoad } from './traffic-bench.js';
import { NPM_PASSWORD, startBenchNpm } from './bench-npm.js';
import { silentLogger } from '../src/log/logger.js';
import { startBuiltinRouter } from '../src/proxy/builtin/start-builtin-router.js';

const SWAPS = 10;
const RATE = 200;

/** The runtimes compared: one host, and services with 1 and 3 replicas on a single-node Swarm. */
const RUNTIMES = [
  { label: 'single host (containers)', stage: 'host', project: 'web', replicas: 0 },
  { label: 'Swarm, 1 replica', stage: 'one', project: 'swarm1', replicas: 1 },
  { label: 'Swarm, 3 replicas', stage: 'three', project: 'swarm3', replicas: 3 },
] as const;

/** The routers each runtime is measured behind: nginx driven by the fake NPM, and the built-in router. */
const ROUTERS = [
  { label: 'nginx (fake NPM)', suffix: '' },
  { label: 'built-in router', suffix: '-b' },
] as const;

/**
 * Issue 16's benchmark, in one run on this machine: the same 10 blue-green swaps per runtime
 * (one host, a Swarm service with 1 and with 3 replicas) behind each router (a real nginx that
 * the fake NPM configures, and the built-in router) while paced load (200 req/s on kept-alive
 * connections) goes through it; the median of each phase, and the failed requests. A request
 * reset on an idle kept-alive connection before any answer is sent once more on a new
 * connection, as browsers do: nginx's old workers close such connections at each reload (one
 * per switch, whatever the runtime); the table counts those retries apart, and a last table
 * shows the same resets with nginx reloads alone. The Swarm is initialised for the run when it
 * is not active, and left again at the end.
 */
export async function swarmBench(): Promise<string> {
  await ensureTestSwarm(benchInstance);
  const repository = `${benchInstance}/swarm`;
  const tags = Array.from({ length: SWAPS + 1 }, (_, i) => `s-${i}`);
  for (const tag of tags)
    await buildTestImage({ repository, tag, behaviour: 'healthy', instanceId: benchInstance });
  const image = `${OPEN_REGISTRY}/${repository}`;
  const proxy = await startBenchNpm();
  const store = openSqliteStore(':memory:');
  const network = `dw-ov-${benchInstance}`;
  const passes = ROUTERS.flatMap((router) =>
    RUNTIMES.map((runtime) => ({ router, runtime, project: `${runtime.project}${router.suffix}` })),
  );
  const config = configSchema.parse({
    global: benchGlobal({
      domain: 'bench.test',
      docker: { drain_seconds: 2, stop_timeout_seconds: 2, publish_host: '127.0.0.1', reach: 'host' },
      npm: proxy.settings,
    }),
    projects: Object.fromEntries(
      passes.map(({ runtime, project }) => [
        project,
        {
          image,
          port: 8080,
          healthcheck: '/health',
          ...(runtime.replicas === 0
            ? {}
            : { runtime: 'swarm' as const, swarm: { network, replicas: runtime.replicas } }),
          stages: { [runtime.stage]: { tag_pattern: 's-*', auto_deploy: true } },
        },
      ]),
    ),
  });
  const builtin = await startBuiltinRouter({
    config: {
      host: '127.0.0.1',
      port: 0,
      public_scheme: 'http',
      drain_timeout_seconds: 30,
      upstream_timeout_seconds: 60,
      // The bench measures the switch itself: no request is held.
      hold_seconds: 0,
      hold_max_requests: 0,
    },
    reach: 'host',
    publishHost: '127.0.0.1',
    trustedProxies: [],
    stages: passes.map(({ runtime, project }) => ({
      project,
      stage: runtime.stage,
      domain: stageDomain(config, project, runtime.stage),
    })),
    logger: silentLogger,
  });
  builtin.markReady();
  const routers = {
    [ROUTERS[0].label]: { router: proxy.router(config.global.npm!), port: proxy.nginx.port },
    [ROUTERS[1].label]: { router: builtin.router, port: Number(new URL(builtin.url).port) },
  };
  const phaseRows: string[][] = PHASES.map((phase) => [phase]);
  const totalRow = ['total'];
  const trafficRows: (string | number)[][] = [];
  const raceRows: (string | number)[][] = [];
  try {
    for (const routerPass of ROUTERS) {
      const { router, port } = routers[routerPass.label];
      const bench = benchDeployer(config, { router, store, secrets: { NPM_PASSWORD } });
      for (const { runtime, project } of passes.filter((pass) => pass.router === routerPass)) {
        const { stage } = runtime;
        await bench.deploy({ project, stage, image, tag: tags[0]! });
        const load = paceLoad(port, stageDomain(config, project, stage), RATE, { retryIdleReset: true });
        await sleep(1000);
        const records: DeployRecord[] = [];
        for (const tag of tags.slice(1)) records.push(await bench.deploy({ project, stage, image, tag }));
        await sleep(1000);
        const samples = await load.stop();
        const failed = samples.filter((sample) => !sample.ok);
        const retried = samples.filter((sample) => sample.retried !== undefined);
        PHASES.forEach((phase, i) => phaseRows[i]!.push(ms(median(records.map((r) => phaseMs(r, phase))))));
        totalRow.push(ms(median(records.map(totalMs))));
        trafficRows.push([
          routerPass.label,
          runtime.label,
          SWAPS,
          samples.length,
          failed.length,
          errorsOf(failed),
          retried.length === 0 ? '-' : `${retried.length} (${retried.filter((r) => r.ok).length} answered)`,
        ]);
      }
      await bench.deployer.shutdown(30_000);
    }
    raceRows.push(...(await reloadRace(proxy.nginx)));
  } finally {
    store.close();
    await builtin.close();
    await proxy.close();
  }
  const columns = passes.map(({ router, runtime }) => `${runtime.label}, ${router.label}`);
  return [
    `### Swarm against one host: median of each phase over ${SWAPS} blue-green swaps (busybox image, single-node Swarm)`,
    '',
    table(['phase', ...columns], [...phaseRows, totalRow]),
    '',
    `### Swarm against one host: ${SWAPS} swaps under ${RATE} req/s through nginx (fake NPM, forward host) and the built-in router, target 0 failed`,
    '',
    table(
      ['router', 'runtime', 'swaps', 'requests', 'failed', 'errors', 'idle kept-alive resets, sent again'],
      trafficRows,
    ),
    '',
    `### Why a request can be reset through nginx: ${RELOADS} reloads of an unchanged site, no deploy, the same ${RATE} req/s`,
    '',
    table(['client', 'requests', 'failed', 'errors', 'sent again'], raceRows),
  ].join('\n');
}

const RELOADS = 30;

/**
 * nginx alone, reloaded RELOADS times with nothing changed, under the same paced load to a
 * plain upstream: without the retry, the requests written onto idle kept-alive connections that
 * an old worker closes at its reload are reset (on any runtime, with any number of replicas);
 * sent once more on a new connection they are answered.
 */
async function reloadRace(nginx: NginxInstance): Promise<(string | number)[][]> {
  const upstream = createServer((_req, res) => res.end('version race\n'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const site = {
    id: 9999,
    serverNames: ['reload-race.bench.test'],
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  };
  const rows: (string | number)[][] = [];
  try {
    for (const retryIdleReset of [false, true]) {
      await nginx.apply([site]);
      const load = paceLoad(nginx.port, site.serverNames[0]!, RATE, { retryIdleReset });
      for (let i = 0; i < RELOADS; i++) {
        await nginx.apply([site]);
        await sleep(150);
      }
      const samples = await load.stop();
      const failed = samples.filter((sample) => !sample.ok);
      rows.push([
        retryIdleReset ? 'sends a reset idle request again' : "Node's agent as is (no retry)",
        samples.length,
        failed.length,
        errorsOf(failed),
        samples.filter((sample) => sample.retried !== undefined).length,
      ]);
    }
  } finally {
    upstream.close();
  }
  return rows;
}

/** Leaves the Swarm if this run initialised it; run.ts calls it after its clean-up. */
export async function leaveBenchSwarm(): Promise<void> {
  await leaveSwarmIfOurs(benchInstance);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
