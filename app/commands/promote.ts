import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { runActionCommand } from './action-command.js';
import { apiBase, apiToken, segment } from './api-client.js';
import { timeoutSeconds } from './flags.js';

const USAGE = `Usage: docker-watcher promote PROJECT STAGE [--no-wait] [--timeout SECONDS] [--url URL]
Deploys to STAGE the version live in the stage it promotes from (its promote_from), pinned to
that version's digest, and follows it until it is live or has failed.

  --no-wait              stop once the app accepted the promotion
  --timeout SECONDS      how long to follow it (default 600)
  --url URL              the app (default: $DOCKER_WATCHER_URL, else http://127.0.0.1:8080)
  -h, --help             this text

The API token comes from the environment variable DOCKER_WATCHER_TOKEN. Exit code 0 when the
promotion succeeded, 1 when it failed or was refused, 2 for usage errors.`;

const OPTIONS = {
  wait: { type: 'boolean', default: true },
  timeout: { type: 'string', default: '600' },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `docker-watcher promote`: POST .../stages/:stage/promote, then follow the deploy it started. */
export async function promoteCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    io.stderr(`docker-watcher promote: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
  const usageError = (message: string) => (io.stderr(`docker-watcher promote: ${message}\n\n${USAGE}\n`), 2);
  const [project, stage, ...extra] = positionals;
  if (!project || !stage || extra.length > 0) return usageError('give exactly PROJECT and STAGE');
  const token = apiToken(io);
  if (!token) return usageError('set the API token in the environment variable DOCKER_WATCHER_TOKEN');
  const timeout = timeoutSeconds(values.timeout);
  if (typeof timeout === 'string') return usageError(timeout);
  return runActionCommand(
    {
      name: 'promote',
      base: apiBase(values.url, io),
      path: `/api/projects/${segment(project)}/stages/${segment(stage)}/promote`,
      token,
      what: `promotion to ${project}/${stage}`,
      wait: values.wait,
      timeoutMs: timeout * 1000,
    },
    io,
  );
}
