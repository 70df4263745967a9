import { cleanupBench } from './bench-env.js';
import { apiBench } from './api-bench.js';
import { deployBench } from './deploy-bench.js';
import { trafficBench } from './traffic-bench.js';

/**
 * `npm run bench`: real deploys on the local Docker engine and registry (start them with
 * `bash .ci/services.sh`), printed as Markdown tables. Everything it creates is removed at the end.
 */
const sections: Record<string, () => Promise<string>> = {
  deploy: deployBench,
  traffic: trafficBench,
  api: apiBench,
};

const only = process.argv.slice(2);
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
