// First: starts this run's registries before test-images.ts reads their addresses.
import { benchServices } from './bench-services.js';
import { parseArgs } from 'node:util';
import { cleanupBench } from './bench-env.js';
import { apiBench } from './api-bench.js';
import { deployBench } from './deploy-bench.js';
import { floodBench } from './flood-bench.js';
import { idleBench } from './idle-bench.js';
import { trafficBench } from './traffic-bench.js';

/**
 * `npm run bench [-- SECTION... [--before DIR]]`: real deploys on the local Docker engine (start
 * it with `bash .ci/services.sh`) and this run's own registries and nginx on free ports, printed
 * as Markdown tables. Everything it creates is removed at the end. `--before DIR` names a checkout
 * (its dist/ built) that the sections starting the app as a process also measure, in the same
 * run, as the "before" column.
 */
const { values, positionals: only } = parseArgs({
  options: { before: { type: 'string' } },
  allowPositionals: true,
});
const sections: Record<string, () => Promise<string>> = {
  deploy: deployBench,
  traffic: trafficBench,
  api: apiBench,
  idle: () => idleBench(values.before),
  flood: () => floodBench(values.before),
};

const started = Date.now();
try {
  for (const [name, run] of Object.entries(sections)) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stdout.write((await run()) + '\n\n');
  }
  process.stdout.write(`bench finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} finally {
  await cleanupBench();
  await benchServices.stop();
}
