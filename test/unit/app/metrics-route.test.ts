import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../app/create-app.js';
import { configSchema } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { API_TOKEN, TEST_CONFIG } from '../../fakes/app-fixture.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeDeployer } from '../../fakes/fake-deployer.js';

let store: Store | undefined;
afterEach(() => store?.close());

function metricsApp(options: { metricsPublic?: boolean; withMetrics?: boolean } = {}) {
  store = openSqliteStore(':memory:');
  const config = configSchema.parse({
    ...TEST_CONFIG,
    global: { ...TEST_CONFIG.global, metrics_public: options.metricsPublic ?? false },
  });
  const deploys = new FakeDeployer({ store });
  return createApp({
    loaded: {
      config,
      file: '/t/dw.yaml',
      dir: '/t',
      secrets: { DOCKER_WATCHER_TOKEN: API_TOKEN, DOCKER_WATCHER_SECRET: 's' },
    },
    deployer: deploys,
    store,
    clock: new FakeClock(),
    logger: silentLogger,
    ...(options.withMetrics === false ? {} : { metrics: createMetrics({ store }) }),
  });
}

describe('GET /metrics', () => {
  it('needs the API token by default and serves the text format with it', async () => {
    const app = metricsApp();
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const response = await app.request('/metrics', { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toMatch(
      /^# TYPE docker_watcher_queue_depth gauge\ndocker_watcher_queue_depth 0$/m,
    );
  });

  it('is open with global.metrics_public', async () => {
    const response = await metricsApp({ metricsPublic: true }).request('/metrics');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('# TYPE docker_watcher_deploys_total counter');
  });

  it('is not there without metrics', async () => {
    const response = await metricsApp({ withMetrics: false }).request('/metrics', {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(response.status).toBe(404);
  });
});
