import { configSchema } from '../src/config/schema.js';
import { stageDomain } from '../src/config/domains.js';
import { PHASES, type DeployRecord } from '../src/core/deploy-types.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { buildTestImage, OPEN_REGISTRY } from '../test/helpers/test-images.js';
import { ensureTestSwarm, leaveSwarmIfOurs } from '../test/helpers/test-swarm.js';
import { benchDeployer, benchGlobal, benchInstance, phaseMs, totalMs } from './bench-env.js';
import { median, ms, table } from './stats.js';
import { errorsOf, paceLoad } from './traffic-bench.js';
import { NPM_PASSWORD, startBenchNpm } from './bench-npm.js';

const SWAPS = 10;
const RATE = 200;

/** The runtimes compared: one host, and services with 1 and 3 replicas on a single-node Swarm. */
const RUNTIMES = [
  { label: 'single host (containers)', stage: 'host', project: 'web' },
  { label: 'Swarm, 1 replica', stage: 'one', project: 'swarm1' },
  { label: 'Swarm, 3 replicas', stage: 'three', project: 'swarm3' },
] as const;

/**
 * Issue 16's benchmark, in one run on this machine: the same 10 blue-green swaps per runtime
 * (one host, a Swarm service with 1 and with 3 replicas) while paced load (200 req/s on
 * kept-alive connections) goes through a real nginx that the fake NPM configures; the median
 * of each phase, and the failed requests. The Swarm is initialised for the run when it is not
 * active, and left again at the end.
 */
export async function swarmBench(): Promise<string> {
  await ensureTestSwarm(benchInstance);
  const repository = `${benchInstance}/swarm`;
  const tags = Array.from({ length: SWAPS + 1 }, (_, i) => `s-${i}`);
  for (const tag of tags)
    await buildTestImage({ repository, tag, behaviour: 'healthy', instanceId: benchInstance });
  const image = `${OPEN_REGISTRY}/${repository}`;
  const proxy = await startBenchNpm();
  const { nginx } = proxy;
  const store = openSqliteStore(':memory:');
  const network = `dw-ov-${benchInstance}`;
  const project = (runtime: (typeof RUNTIMES)[number]) => ({
    image,
    port: 8080,
    healthcheck: '/health',
    ...(runtime.project === 'web'
      ? {}
      : {
          runtime: 'swarm' as const,
          swarm: { network, replicas: runtime.project === 'swarm3' ? 3 : 1 },
        }),
    stages: { [runtime.stage]: { tag_pattern: 's-*', auto_deploy: true } },
  });
  const config = configSchema.parse({
    global: benchGlobal({
      domain: 'bench.test',
      docker: { drain_seconds: 2, stop_timeout_seconds: 2, publish_host: '127.0.0.1', reach: 'host' },
      npm: proxy.settings,
    }),
    projects: Object.fromEntries(RUNTIMES.map((runtime) => [runtime.project, project(runtime)])),
  });
  const router = proxy.router(config.global.npm!);
  const bench = benchDeployer(config, { router, store, secrets: { NPM_PASSWORD } });
  const phaseRows: string[][] = PHASES.map((phase) => [phase]);
  const totalRow = ['total'];
  const trafficRows: (string | number)[][] = [];
  try {
    for (const runtime of RUNTIMES) {
      const { project: name, stage } = runtime;
      await bench.deploy({ project: name, stage, image, tag: tags[0]! });
      const domain = stageDomain(bench.loaded.config, name, stage);
      const load = paceLoad(nginx.port, domain, RATE);
      await sleep(1000);
      const records: DeployRecord[] = [];
      for (const tag of tags.slice(1)) records.push(await bench.deploy({ project: name, stage, image, tag }));
      await sleep(1000);
      const samples = await load.stop();
      const failed = samples.filter((sample) => !sample.ok);
      PHASES.forEach((phase, i) => phaseRows[i]!.push(ms(median(records.map((r) => phaseMs(r, phase))))));
      totalRow.push(ms(median(records.map(totalMs))));
      trafficRows.push([runtime.label, SWAPS, samples.length, failed.length, errorsOf(failed)]);
    }
    await bench.deployer.shutdown(30_000);
  } finally {
    store.close();
    await proxy.close();
  }
  const result = [
    `### Swarm against one host: median of each phase over ${SWAPS} blue-green swaps (busybox image, single-node Swarm)`,
    '',
    table(['phase', ...RUNTIMES.map((runtime) => runtime.label)], [...phaseRows, totalRow]),
    '',
    `### Swarm against one host: ${SWAPS} swaps under ${RATE} req/s through nginx (fake NPM, forward host), target 0 failed`,
    '',
    table(['runtime', 'swaps', 'requests', 'failed', 'errors'], trafficRows),
  ].join('\n');
  return result;
}

/** Leaves the Swarm if this run initialised it; run.ts calls it after its clean-up. */
export async function leaveBenchSwarm(): Promise<void> {
  await leaveSwarmIfOurs(benchInstance);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
