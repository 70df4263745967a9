import { FakeRouter } from '../fakes/fake-router.js';
import { routerContract } from './router.contract.js';

/** The Router contract against the fake router the unit tests deploy through. */
routerContract('the fake router', () => {
  const router = new FakeRouter();
  return { router, routeOf: async (domain) => router.targetOf(domain), prefix: 'fake' };
});
