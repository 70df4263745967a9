import { parseArgs } from 'node:util';
import { cleanupBench } from './bench-env.js';
import { apiBench } from './api-bench.js';
import { deployBench } from './deploy-bench.js';
import { floodBench } from './flood-bench.js';
import { idleBench } from './idle-bench.js';
import { scaleBench } from './scale-bench.js';
import { trafficBench } from './traffic-bench.js';

/**
 * `npm run bench [-- SECTION... [--before DIR]]`: real deploys on the local Docker engine and
 * registry (start them with `bash .ci/services.sh`), printed as Markdown tables. Everything it
 * creates is removed at the end. `--before DIR` names a checkout (its dist/ built) that the
 * sections starting the app as a process also measure, in the same run, as the "before" column.
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
  scale: () => scaleBench(values.before),
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
}
