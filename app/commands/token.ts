import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { savedCredential } from '../quickstart-credentials.js';
import { chooseConfigPath } from '../config-path.js';

const USAGE = `Usage: docker-watcher token [--config FILE]
Prints the API and dashboard token of the app that runs with this config: the variable named by
global.api_token_env when set, else the token the app generated into its credentials file.`;

/** `docker-watcher token`: prints the token to log in to the dashboard with. Exit 1 when there is none. */
export async function tokenCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`docker-watcher token: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
  const configPath = chooseConfigPath(values.config, io.env);
  const token = savedCredential(configPath, io.env, (config) => config.global.api_token_env);
  if (!token) {
    io.stderr(
      `docker-watcher token: no token for ${configPath}: neither its api_token_env variable is set ` +
        'nor has the app generated one yet (start it once with `npx docker-watcher serve`)\n',
    );
    return 1;
  }
  io.stdout(token.value + '\n');
  return 0;
}
