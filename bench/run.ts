import {
  AUTH_REGISTRY_ENV,
  missingBinaries,
  OPEN_REGISTRY_ENV,
  startTestServices,
} from '../test/helpers/test-services.js';
import { cleanupBench } from './bench-env.js';

/**
 * `npm run bench`: real deploys on the local Docker engine, printed as Markdown tables. Like
 * `npm test`, it starts its own registries on free loopback ports (test/helpers/test-services.ts)
 * and nginx, and stops them at the end; everything it creates on the engine is removed too.
 */
const missing = missingBinaries();
if (missing !== undefined) throw new Error(`bench: ${missing}`);
const services = await startTestServices();
// test/helpers/test-images.ts reads the registry addresses when it is first imported: the
// sections are imported only now, after these are set.
process.env[OPEN_REGISTRY_ENV] = services.openRegistry;
process.env[AUTH_REGISTRY_ENV] = services.authRegistry;

const only = process.argv.slice(2);
const started = Date.now();
try {
  const sections: Record<string, () => Promise<string>> = {
    deploy: (await import('./deploy-bench.js')).deployBench,
    traffic: (await import('./traffic-bench.js')).trafficBench,
    api: (await import('./api-bench.js')).apiBench,
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
  await services.stop();
}
