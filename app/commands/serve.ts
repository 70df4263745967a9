import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { createJsonLogger } from '../../src/log/logger.js';
import { errorMessage } from '../../src/core/errors.js';
import { chooseConfigPath } from '../config-path.js';
import { startServer } from '../server.js';

/**
 * `docker-watcher serve [--config FILE] [--port N]`: runs until SIGTERM/SIGINT, then shuts down
 * gracefully. --port overrides global.listen.port (0: any free port; the log says which).
 */
export async function serveCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, port: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    io.stderr(
      `docker-watcher serve: ${errorMessage(error)}\nUsage: docker-watcher serve [--config FILE] [--port N]\n`,
    );
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    io.stderr(`docker-watcher serve: --port "${values.port}" is not a port number (0-65535)\n`);
    return 2;
  }
  const logger = createJsonLogger({
    level: io.env.LOG_LEVEL === 'debug' ? 'debug' : 'info',
    write: (line) => io.stdout(line + '\n'),
  });
  try {
    const running = await startServer({
      configPath: chooseConfigPath(values.config, io.env),
      env: io.env,
      logger,
      ...(port === undefined ? {} : { port }),
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
