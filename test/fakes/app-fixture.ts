import type { StartupState } from '../../app/http/app-env.js';
import type { LoadedConfig } from '../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createApp, type AppDeps } from '../../app/create-app.js';
import { FakeDeployer, type FakeDeployerOptions } from './fake-deployer.js';
import { resolveRequestSecrets, type RequestSecrets } from '../../src/config/request-secrets.js';

export const GLOBAL_SECRET = 'global-secret-for-tests';
export const SHOP_SECRET = 'shop-own-secret-for-tests';
export const API_TOKEN = 'api-token-for-tests';

/** A config with two projects: `web` signed with the global secret, `shop` with its own. */
export const TEST_CONFIG: ConfigInput = {
  global: { domain: 'example.test' },
  projects: {
    web: {
      image: '127.0.0.1:5000/acme/web',
      port: 8080,
      stages: {
        dev: { tag_pattern: 'dev-*', auto_deploy: true },
        prod: { tag_pattern: 'v*', confirm: true, subdomain: 'www' },
      },
    },
    shop: {
      image: '127.0.0.1:5000/acme/shop',
      port: 3000,
      secret_env: 'SHOP_SECRET',
      stages: { dev: { tag_pattern: 'dev-*', auto_deploy: true } },
    },
  },
};

export interface AppFixture {
  app: ReturnType<typeof createApp>;
  /** The secrets the app checks requests against (the signature gate in front of it gets them too). */
  secrets: RequestSecrets;
  deploys: FakeDeployer;
  store: Store;
}

/** The real app over the real (in-memory) SQLite store and the fake deploy service. */
export function appFixture(
  options: Partial<Omit<FakeDeployerOptions, 'store'>> & {
    clock?: Clock;
    logger?: Logger;
    secrets?: Record<string, string>;
    storePath?: string;
    heartbeatMs?: number;
    startup?: () => StartupState;
    loginHint?: string;
    /** Another config than TEST_CONFIG. */
    config?: ConfigInput;
    /** More app dependencies (the change feed, the registry's tags). */
    deps?: Pick<AppDeps, 'changes' | 'imageTags' | 'requestLog'>;
  } = {},
): AppFixture {
  const config = configSchema.parse(options.config ?? TEST_CONFIG);
  const loaded: LoadedConfig = {
    config,
    file: '/test/docker-watcher.yaml',
    dir: '/test',
    secrets: options.secrets ?? {
      DOCKER_WATCHER_SECRET: GLOBAL_SECRET,
      SHOP_SECRET,
      DOCKER_WATCHER_TOKEN: API_TOKEN,
    },
  };
  const store = openSqliteStore(options.storePath ?? ':memory:');
  const deploys = new FakeDeployer({ ...options, store });
  const secrets = resolveRequestSecrets(loaded);
  const app = createApp({
    loaded,
    secrets,
    deployer: deploys,
    store,
    clock: options.clock ?? { now: () => new Date(), sleep: () => Promise.resolve() },
    logger: options.logger ?? silentLogger,
    version: { version: '0.0.0-test' },
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.startup ? { startup: options.startup } : {}),
    ...(options.loginHint ? { loginHint: options.loginHint } : {}),
    ...options.deps,
  });
  return { app, secrets, deploys, store };
}
