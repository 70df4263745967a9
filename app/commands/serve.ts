import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { createJsonLogger } from '../../src/log/logger.js';
import { errorMessage } from '../../src/core/errors.js';
import { chooseConfigPath } from '../config-path.js';
import { startServer } from '../server.js';
import { setServeV8Flags } from '../v8-flags.js';

/**
 * `docker-watcher serve [--config FILE] [--port N]`: runs until SIGTERM/SIGINT, then shuts down
 * gracefully. --port overrides global.listen.port (0: any free port; the log says which).
 */
const USAGE = `Usage: docker-watcher serve [--config FILE] [--port N] [--router-port N]
Runs the app: the API, the dashboard, the deploy engine and the registry poller. SIGTERM or
Ctrl-C stops taking deploys and lets running ones finish (global.shutdown_timeout_seconds); a
second signal exits at once.

  -c, --config FILE      the config (default: $DOCKER_WATCHER_CONFIG, else ./docker-watcher.yaml
                         when present, else the quickstart config)
  --port N               listen on this port instead of global.listen.port (0: any free port;
                         the log says which)
  --router-port N        the built-in router listens on this port instead of global.router.port
  -h, --help             this text`;

export async function serveCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string' },
        'router-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`docker-watcher serve: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    io.stderr(`docker-watcher serve: --port "${values.port}" is not a port number (0-65535)\n`);
    return 2;
  }
  const routerPort = values['router-port'] === undefined ? undefined : Number(values['router-port']);
  if (routerPort !== undefined && !(Number.isInteger(routerPort) && routerPort >= 1 && routerPort <= 65535)) {
    io.stderr(
      `docker-watcher serve: --router-port "${values['router-port']}" is not a port number (1-65535)\n`,
    );
    return 2;
  }
  const logger = createJsonLogger({
    level: io.env.LOG_LEVEL === 'debug' ? 'debug' : 'info',
    write: (line) => io.stdout(line + '\n'),
  });
  setServeV8Flags();
  try {
    const running = await startServer({
      configPath: chooseConfigPath(values.config, io.env),
      env: io.env,
      logger,
      ...(port === undefined ? {} : { port }),
      ...(routerPort === undefined ? {} : { routerPort }),
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
            `${signal} again: exiting now without waiting; a deploy still running is undone on the next start and tried once more`,
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
