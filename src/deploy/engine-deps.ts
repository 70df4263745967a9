import type { DeploySettings } from '../config/deploy-settings.js';
import type { Clock } from '../core/clock.js';
import type { DockerEngine } from '../docker/engine.js';
import type { Logger } from '../log/logger.js';
import type { ProxyRouter } from '../proxy/router.js';
import type { Store } from '../store/store.js';

/** The outside systems every part of the deploy engine works with; the app passes the real ones. */
export interface EngineDeps {
  /** The settings resolved at the root (src/config/deploy-settings.ts); never the config file. */
  settings: DeploySettings;
  docker: DockerEngine;
  store: Store;
  router: ProxyRouter;
  clock: Clock;
  logger: Logger;
  /** This docker-watcher's id, put on every container it creates. */
  instanceId: string;
}
