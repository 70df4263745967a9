import type { DeploySettings } from '../config/deploy-settings.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { Router, Runtime } from './ports.js';

/** The outside systems every part of the deploy engine works with; the app passes the real ones. */
export interface EngineDeps {
  /** The settings resolved at the root (src/config/deploy-settings.ts); never the config file. */
  settings: DeploySettings;
  /** Where containers run (the Runtime port; the Docker engine today). */
  docker: Runtime;
  store: Store;
  /** What routes a stage's domain (the Router port; NPM or none today). */
  router: Router;
  clock: Clock;
  logger: Logger;
  /** This docker-watcher's id, put on every container it creates. */
  instanceId: string;
}
