import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { apiBase, apiFailure, apiToken, segment } from './api-client.js';

const USAGE = `Usage: docker-watcher teardown PROJECT STAGE [--orphan] [--url URL]
Stops and removes every container of the stage, removes its proxy host and forgets its live
version. --orphan: the stage is no longer in the config (see GET /api/orphans). The API token
comes from DOCKER_WATCHER_TOKEN; the app's URL from --url or DOCKER_WATCHER_URL.`;

const OPTIONS = {
  orphan: { type: 'boolean', default: false },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `docker-watcher teardown`: sends the teardown and prints the deploy id it is recorded under
 * (follow it with GET /api/deploys/:id). Exit 1 when the app refuses, 2 for usage errors.
 */
export async function teardownCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
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

  const path = values.orphan
    ? `/api/orphans/${segment(project)}/${segment(stage)}/teardown`
    : `/api/projects/${segment(project)}/stages/${segment(stage)}/teardown`;
  const url = `${apiBase(values.url, io)}${path}`;
  try {
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 202) {
      io.stderr(`docker-watcher teardown: ${url} answered ${await apiFailure(response)}\n`);
      return 1;
    }
    const accepted = (await response.json()) as { id: string; status: string; urls?: { self?: string } };
    io.stdout(`teardown of ${project}/${stage} ${accepted.status}\ndeploy-id=${accepted.id}\n`);
    if (accepted.urls?.self) io.stdout(`follow: ${accepted.urls.self}\n`);
    return 0;
  } catch (error) {
    io.stderr(`docker-watcher teardown: cannot reach ${url}: ${errorMessage(error)}\n`);
    return 1;
  }
}
