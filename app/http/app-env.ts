import type { LoadedConfig } from '../../src/config/loaded-config.js';
import type { Clock } from '../../src/core/clock.js';
import type { DeployService } from '../../src/deploy/deploy-service.js';
import type { LogFields, Logger } from '../../src/log/logger.js';
import type { Store } from '../../src/store/store.js';

/** Everything the HTTP app uses, passed in by the composition root (no singletons). */
export interface AppDeps {
  loaded: LoadedConfig;
  /** The deploy engine (src/deploy/deployer.ts in the app, a fake in tests). */
  deploys: DeployService;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Shown by GET /api/version; default { version: 'unknown' }. */
  version?: { name?: string; version: string; commit?: string };
  /** Interval of SSE heartbeat comments; default 15 s. */
  heartbeatMs?: number;
  /** How long the follow token in a 202 answer stays valid; default 2 h. */
  followTokenTtlMs?: number;
}

/** Hono environment: routes add the deploy id, project and stage to the request's log line. */
export interface AppEnv {
  Variables: { logFields: LogFields };
}
