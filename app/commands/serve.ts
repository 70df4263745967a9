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

const USAGE = `Usage: docker-watcher serve [--config FILE]
Runs the app: the API, the dashboard, the deploy engine and the registry poller. SIGTERM or
Ctrl-C stops taking deploys and lets running ones finish (global.shutdown_timeout_seconds); a
second signal exits at once.

  -c, --config FILE      the config (default: $DOCKER_WATCHER_CONFIG, else ./docker-watcher.yaml
                         when present, else the quickstart config)
  -h, --help             this text`;

/** `docker-watcher serve [--config FILE]`: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serveCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`docker-watcher serve: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
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
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          // A second signal is a person who will not wait: say what that means, then go.
          logger.warn(
            `${signal} again: exiting now without waiting; a deploy still running is marked interrupted and undone on the next start`,
            { signal },
          );
          process.exit(1);
        }
        stopping = true;
        logger.info('shutting down: no new deploys; send the signal again to exit at once', { signal });
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
