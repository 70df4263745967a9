import { systemClock } from '../src/core/clock.js';
import type { NpmConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/log/logger.js';
import { createNpmClient, type NpmClient } from '../src/proxy/npm/npm-client.js';
import { createNpmRouter } from '../src/proxy/npm/npm-router.js';
import type { ProxyRouter } from '../src/proxy/router.js';
import { startFakeNpm, type FakeNpm } from '../test/fakes/npm/fake-npm-server.js';
import { startNginx, type NginxInstance } from '../test/helpers/nginx-instance.js';
import { benchInstance } from './bench-env.js';

export const NPM_PASSWORD = 'bench-npm-password';

/** Debian's nginx driven by the fake NPM, as the benches route through it. */
export interface BenchNpm {
  nginx: NginxInstance;
  npm: FakeNpm;
  /** `global.npm` as a config gives it: forward to 127.0.0.1, no certificate, probed through nginx. */
  settings: {
    url: string;
    email: string;
    password_env: 'NPM_PASSWORD';
    forward: 'host';
    forward_host: string;
    certificate: 'none';
    probe_url: string;
  };
  client: NpmClient;
  /** The NPM router over `client`, for the parsed `global.npm`. */
  router(npm: NpmConfig): ProxyRouter;
  close(): Promise<void>;
}

export async function startBenchNpm(): Promise<BenchNpm> {
  const nginx = await startNginx();
  const npm = await startFakeNpm({ nginx, password: NPM_PASSWORD });
  const client = createNpmClient({
    url: npm.url,
    email: npm.email,
    password: NPM_PASSWORD,
    clock: systemClock,
    logger: silentLogger,
  });
  return {
    nginx,
    npm,
    settings: {
      url: npm.url,
      email: npm.email,
      password_env: 'NPM_PASSWORD',
      forward: 'host',
      forward_host: '127.0.0.1',
      certificate: 'none',
      probe_url: `http://127.0.0.1:${nginx.port}`,
    },
    client,
    router: (config) =>
      createNpmRouter({ npm: config, client, instanceId: benchInstance, logger: silentLogger }),
    async close() {
      await client.close();
      await npm.close();
      await nginx.stop();
    },
  };
}
