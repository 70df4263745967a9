import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { runActionCommand } from './action-command.js';
import { apiBase, apiToken, segment } from './api-client.js';
import { timeoutSeconds } from './flags.js';

const USAGE = `Usage: docker-watcher teardown PROJECT STAGE [--orphan] [--yes] [--no-wait] [--url URL]
Stops and removes every container of the stage (kept versions too), removes its proxy host
and forgets its live version; the history stays. Asks first, then follows the teardown.

  --orphan               the stage is no longer in the config (see GET /api/orphans)
  --yes, -y              do not ask (needed when there is no terminal to ask on)
  --no-wait              stop once the app accepted the teardown
  --timeout SECONDS      how long to follow it (default 600)
  --url URL              the app (default: $DOCKER_WATCHER_URL, else http://127.0.0.1:8080)
  -h, --help             this text

The API token comes from the environment variable DOCKER_WATCHER_TOKEN.`;

const OPTIONS = {
  orphan: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  wait: { type: 'boolean', default: true },
  timeout: { type: 'string', default: '600' },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `docker-watcher teardown`: asks (unless --yes), sends the teardown, prints the dashboard page
 * it is recorded under and follows it. Exit 1 when refused or it failed, 2 for usage errors.
 */
export async function teardownCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    io.stderr(`docker-watcher teardown: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
  const usageError = (message: string) => (io.stderr(`docker-watcher teardown: ${message}\n\n${USAGE}\n`), 2);
  const [project, stage, ...extra] = positionals;
  if (!project || !stage || extra.length > 0) return usageError('give exactly PROJECT and STAGE');
  const token = apiToken(io);
  if (!token) return usageError('set the API token in the environment variable DOCKER_WATCHER_TOKEN');
  const timeout = timeoutSeconds(values.timeout);
  if (typeof timeout === 'string') return usageError(timeout);
  if (!values.yes) {
    if (!io.confirm) return usageError('no terminal to ask on: confirm the teardown with --yes');
    const question = `Tear down ${project}/${stage}? Its containers are stopped and removed and its domain stops answering. [y/N] `;
    if (!(await io.confirm(question))) {
      io.stderr(`docker-watcher teardown: not confirmed; ${project}/${stage} is untouched\n`);
      return 1;
    }
  }

  const path = values.orphan
    ? `/api/orphans/${segment(project)}/${segment(stage)}/teardown`
    : `/api/projects/${segment(project)}/stages/${segment(stage)}/teardown`;
  return runActionCommand(
    {
      name: 'teardown',
      base: apiBase(values.url, io),
      path,
      token,
      what: `teardown of ${project}/${stage}`,
      wait: values.wait,
      timeoutMs: timeout * 1000,
    },
    io,
  );
}
