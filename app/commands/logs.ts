import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import type { LogLine } from '../../src/docker/engine.js';
import { SseParser } from '../../src/protocol/sse-parser.js';
import { apiBase, apiFailure, apiToken, segment } from './api-client.js';

const USAGE = `Usage: docker-watcher logs PROJECT STAGE [--follow] [--tail N] [--since T] [--url URL]
Prints the output of the stage's live container, one line per entry: time, stream, text.
--since takes a duration (10m, 2h), an RFC 3339 time or Unix seconds. The API token comes from
the environment variable DOCKER_WATCHER_TOKEN; the app's URL from --url or DOCKER_WATCHER_URL.`;

const OPTIONS = {
  follow: { type: 'boolean', short: 'f', default: false },
  tail: { type: 'string', short: 'n' },
  since: { type: 'string' },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `docker-watcher logs`: streams GET /api/projects/:project/stages/:stage/logs to stdout.
 * With --follow it runs until the container stops (exit 0) or is interrupted. Exit 1 when the
 * app refuses or fails, 2 for usage errors.
 */
export async function logsCommand(args: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`docker-watcher logs: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
  const usageError = (message: string) => (io.stderr(`docker-watcher logs: ${message}\n\n${USAGE}\n`), 2);
  const [project, stage, ...extra] = positionals;
  if (!project || !stage || extra.length > 0) return usageError('give exactly PROJECT and STAGE');
  const token = apiToken(io);
  if (!token) return usageError('set the API token in the environment variable DOCKER_WATCHER_TOKEN');

  const query = new URLSearchParams();
  if (values.tail !== undefined) query.set('tail', values.tail);
  if (values.since !== undefined) query.set('since', values.since);
  if (values.follow) query.set('follow', 'true');
  const url = `${apiBase(values.url, io)}/api/projects/${segment(project)}/stages/${segment(stage)}/logs?${query}`;
  try {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) {
      io.stderr(`docker-watcher logs: ${url.split('?')[0]} answered ${await apiFailure(response)}\n`);
      return 1;
    }
    return values.follow ? await printEvents(response, io) : await printText(response, io);
  } catch (error) {
    if (signal?.aborted) return 0;
    io.stderr(`docker-watcher logs: cannot read ${url.split('?')[0]}: ${errorMessage(error)}\n`);
    return 1;
  }
}

async function printText(response: Response, io: CommandIo): Promise<number> {
  const decoder = new TextDecoder();
  for await (const chunk of response.body ?? []) io.stdout(decoder.decode(chunk, { stream: true }));
  io.stdout(decoder.decode());
  return 0;
}

async function printEvents(response: Response, io: CommandIo): Promise<number> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of response.body ?? []) {
    for (const message of parser.feed(decoder.decode(chunk, { stream: true }))) {
      if (message.event === 'line') {
        const line = JSON.parse(message.data) as LogLine;
        io.stdout(`${line.time} ${line.stream} ${line.text}\n`);
      } else if (message.event === 'error') {
        io.stderr(`docker-watcher logs: ${(JSON.parse(message.data) as { message: string }).message}\n`);
        return 1;
      } else if (message.event === 'end') {
        return 0;
      }
    }
  }
  return 0;
}
