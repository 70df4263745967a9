import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { npmSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { createNpmClient, type NpmClient } from '../../src/proxy/npm/npm-client.js';
import { createNpmRouter } from '../../src/proxy/npm/npm-router.js';
import { startFakeNpm, type FakeNpm } from '../fakes/npm/fake-npm-server.js';
import { routerContract, type RouterUnderTest } from './router.contract.js';

/** The Router contract against the NPM adapter, on the fake NPM server (checked against NPM's API spec). */
let npm: FakeNpm;
let client: NpmClient;
let subject: RouterUnderTest;

beforeAll(async () => {
  npm = await startFakeNpm();
  const config = npmSchema.parse({ url: npm.url, email: npm.email, password_env: 'NPM_PASSWORD' });
  client = createNpmClient({
    url: config.url,
    email: config.email,
    password: npm.password,
    passwordSource: 'NPM_PASSWORD',
    clock: systemClock,
    logger: silentLogger,
  });
  subject = {
    router: createNpmRouter({ npm: config, client, instanceId: 'contract', logger: silentLogger }),
    routeOf: async (domain) => npm.hosts().find((h) => h.domain_names.includes(domain))?.forward_host,
    prefix: `npm-${randomBytes(3).toString('hex')}`,
  };
});

afterAll(async () => {
  await client?.close();
  await npm?.close();
});

routerContract('Nginx Proxy Manager adapter on the fake NPM', () => subject);
