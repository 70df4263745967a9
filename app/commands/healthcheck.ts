import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { loadConfig } from '../../src/config/load-config.js';
import { errorMessage } from '../../src/core/errors.js';
import { chooseConfigPath } from '../config-path.js';

const USAGE = `Usage: docker-watcher healthcheck [--config FILE] [--url URL] [--timeout SECONDS]
Asks the running app for GET /healthz and exits 0 when it answers 200, else 1. The address
comes from --url, else DOCKER_WATCHER_URL, else global.listen of the config that serve would
use (--config, DOCKER_WATCHER_CONFIG, ./docker-watcher.yaml, the quickstart config). Used by
the image's HEALTHCHECK, so a changed listen port needs no change to the image.`;

/** http://host:port for a listen address; a wildcard address is reached on loopback. */
export function listenUrl(host: string, port: number): string {
  const reach = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}

/** `docker-watcher healthcheck`: exit 0 when the app's /healthz answers 200 within the timeout. */
export async function healthcheckCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        url: { type: 'string' },
        timeout: { type: 'string', default: '4' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`docker-watcher healthcheck: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return (io.stdout(USAGE + '\n'), 0);
  const timeoutMs = Number(values.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    io.stderr(`docker-watcher healthcheck: --timeout "${values.timeout}" is not a number of seconds\n`);
    return 2;
  }

  let base = values.url ?? io.env.DOCKER_WATCHER_URL;
  if (base === undefined) {
    try {
      // Only global.listen is needed: the secrets belong to the server, not to this probe.
      const { listen } = loadConfig(chooseConfigPath(values.config, io.env), io.env).config.global;
      base = listenUrl(listen.host, listen.port);
    } catch (error) {
      io.stderr(`docker-watcher healthcheck: ${errorMessage(error)}\n`);
      return 1;
    }
  }
  const url = `${base.replace(/\/+$/, '')}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.text()).slice(0, 200);
    if (response.ok) return (io.stdout(`ok ${url}\n`), 0);
    io.stderr(`docker-watcher healthcheck: ${url} answered ${response.status}: ${body}\n`);
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
    const cause =
      error instanceof Error && error.cause !== undefined ? ` (${errorMessage(error.cause)})` : '';
    io.stderr(`docker-watcher healthcheck: ${url}: ${errorMessage(error)}${cause}\n`);
  }
  return 1;
}
