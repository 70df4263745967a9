import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { createJsonLogger } from '../../src/log/logger.js';
import { errorMessage } from '../../src/core/errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { startServer } from '../server.js';

/** The quickstart config shipped with the package: local Docker engine, SQLite, no NPM. */
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

/** `docker-watcher serve [--config FILE]`: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serveCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const logger = createJsonLogger({
    level: io.env.LOG_LEVEL === 'debug' ? 'debug' : 'info',
    write: (line) => io.stdout(line + '\n'),
  });
  try {
    const running = await startServer({
      configPath: chooseConfigPath(values.config, io.env),
      env: io.env,
      logger,
      // For tests and for several installs sharing one Docker engine: each labels only its own objects.
      ...(io.env.DOCKER_WATCHER_INSTANCE_ID ? { instanceId: io.env.DOCKER_WATCHER_INSTANCE_ID } : {}),
      ...(io.env.DOCKER_WATCHER_FAILPOINT ? { failpoint: io.env.DOCKER_WATCHER_FAILPOINT } : {}),
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        logger.info('shutting down', { signal });
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        running.close().then(resolve, (error: unknown) => {
          logger.error('shutdown failed', { error: errorMessage(error) });
          resolve();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    return 0;
  } catch (error) {
    io.stderr(`docker-watcher: ${errorMessage(error)}\n`);
    return 1;
  }
}
