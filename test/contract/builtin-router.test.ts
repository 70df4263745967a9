import { createBuiltinRouter } from '../../src/proxy/builtin/builtin-router.js';
import { routerContract } from './router.contract.js';

/** The Router contract against the built-in router's in-memory table (src/proxy/builtin/). */
routerContract('the built-in router', () => {
  const router = createBuiltinRouter({ reach: 'network', publishHost: '127.0.0.1', drainTimeoutMs: 1000 });
  return {
    router,
    routeOf: async (domain) => router.table.get(domain)?.target.containerName,
    prefix: 'builtin',
  };
});
