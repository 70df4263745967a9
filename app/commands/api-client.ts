import type { CommandIo } from '../cli.js';
import { savedCredential } from '../quickstart-credentials.js';
import { chooseConfigPath } from '../config-path.js';

/** Where the CLI finds the app when --url is not given: $DOCKER_WATCHER_URL, else the default listener. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/**
 * The API token for commands that read or act on the app; never a flag (flags show in ps):
 * $DOCKER_WATCHER_TOKEN, else the token the app generated for the config it runs with (the
 * quickstart's credentials file; see `docker-watcher token`).
 */
export function apiToken(io: CommandIo): string | undefined {
  if (io.env.DOCKER_WATCHER_TOKEN) return io.env.DOCKER_WATCHER_TOKEN;
  const configPath = chooseConfigPath(undefined, io.env);
  return savedCredential(configPath, io.env, (config) => config.global.api_token_env)?.value;
}

/** --url, else $DOCKER_WATCHER_URL, else DEFAULT_URL; without a trailing slash. */
export function apiBase(url: string | undefined, io: CommandIo): string {
  return (url ?? io.env.DOCKER_WATCHER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
}

/** The message of an API error body ({ error: { message } }), else the status line. */
export async function apiFailure(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (body.error?.message) return `${response.status}: ${body.error.message}`;
  } catch {
    // Not JSON: the status line says enough.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/** Path segment of a project or stage name. */
export const segment = encodeURIComponent;
