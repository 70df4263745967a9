import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

/** The quickstart config shipped with the package: local Docker engine, local images, SQLite, no NPM. */
export const QUICKSTART_CONFIG = join(PACKAGE_ROOT, 'config', 'quickstart.yaml');

/**
 * Which config file to use: --config, else $DOCKER_WATCHER_CONFIG, else ./docker-watcher.yaml
 * when present, else the quickstart config.
 */
export function chooseConfigPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): string {
  if (flag) return flag;
  if (env.DOCKER_WATCHER_CONFIG) return env.DOCKER_WATCHER_CONFIG;
  const local = `${cwd}/docker-watcher.yaml`;
  return existsSync(local) ? local : QUICKSTART_CONFIG;
}
