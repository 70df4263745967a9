import type { LoadedConfig } from '../config/loaded-config.js';
import type { Clock } from '../core/clock.js';
import type { DockerEngine } from '../docker/engine.js';
import type { Logger } from '../log/logger.js';
import type { ProxyRouter } from '../proxy/router.js';
import type { Store } from '../store/store.js';

/** The outside systems every part of the deploy engine works with; the app passes the real ones. */
export interface EngineDeps {
  loaded: LoadedConfig;
  docker: DockerEngine;
  store: Store;
  router: ProxyRouter;
  clock: Clock;
  logger: Logger;
  /** This docker-watcher's id, put on every container it creates. */
  instanceId: string;
}
