import { parseArgs } from 'node:util';
import {
  AUTH_REGISTRY_ENV,
  missingBinaries,
  OPEN_REGISTRY_ENV,
  startTestServices,
} from '../test/helpers/test-services.js';
import { cleanupBench } from './bench-env.js';

/**
 * `npm run bench [-- SECTION... [--before DIR] [--rounds N]]`: real deploys on the local Docker engine,
 * printed as Markdown tables. Like `npm test`, it starts its own registries on free loopback
 * ports (test/helpers/test-services.ts) and nginx, and stops them at the end; everything it
 * creates on the engine is removed too. `--before DIR` names a checkout (its dist/ built) that
 * the sections starting the app as a process also measure, in the same run, as the "before"
 * column.
 */
const { values, positionals: only } = parseArgs({
  options: { before: { type: 'string' }, rounds: { type: 'string' } },
  allowPositionals: true,
});
// --rounds N: the flood's targets N times in turn, medians (a shared machine's load moves).
const rounds = Number(values.rounds ?? 1);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`bench: --rounds must be a whole number >= 1, not "${values.rounds}"`);
const missing = missingBinaries();
if (missing !== undefined) throw new Error(`bench: ${missing}`);
const services = await startTestServices();
// test/helpers/test-images.ts reads the registry addresses when it is first imported: the
// sections are imported only now, after these are set.
process.env[OPEN_REGISTRY_ENV] = services.openRegistry;
process.env[AUTH_REGISTRY_ENV] = services.authRegistry;

const started = Date.now();
try {
  const sections: Record<string, () => Promise<string>> = {
    deploy: async () => (await import('./deploy-bench.js')).deployBench(),
    traffic: async () => (await import('./traffic-bench.js')).trafficBench(),
    router: async () => (await import('./router-bench.js')).routerBench(),
    api: async () => (await import('./api-bench.js')).apiBench(),
    idle: async () => (await import('./idle-bench.js')).idleBench(values.before),
    flood: async () => (await import('./flood-bench.js')).floodBench(values.before, rounds),
    scale: async () => (await import('./scale-bench.js')).scaleBench(values.before),
    swarm: async () => (await import('./swarm-bench.js')).swarmBench(),
  };
  for (const [name, run] of Object.entries(sections)) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stdout.write((await run()) + '\n\n');
  }
  process.stdout.write(
    `bench finished in ${((Date.now() - started) / 1000).toFixed(1)} s (registry ${services.openRegistry})\n`,
  );
} finally {
  await cleanupBench();
  // After the clean-up: a Swarm the swarm section initialised is left again.
  if (only.length === 0 || only.includes('swarm')) await (await import('./swarm-bench.js')).leaveBenchSwarm();
  await services.stop();
}
