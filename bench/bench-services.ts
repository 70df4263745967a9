import { OPEN_REGISTRY_ENV, AUTH_REGISTRY_ENV, startTestServices } from '../test/helpers/test-services.js';

/**
 * The registries the benchmarks push to and pull from, started on free loopback ports before
 * anything reads their addresses (test/helpers/test-images.ts reads them when imported, so
 * bench/run.ts imports this module first). Never 5000/5001; they end with the bench.
 */
export const benchServices = await startTestServices();
process.env[OPEN_REGISTRY_ENV] = benchServices.openRegistry;
process.env[AUTH_REGISTRY_ENV] = benchServices.authRegistry;
