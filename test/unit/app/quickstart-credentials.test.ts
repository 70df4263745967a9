import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fillGeneratedCredentials,
  savedCredential,
  type FilledCredentials,
} from '../../../app/quickstart-credentials.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Logger } from '../../../src/log/logger.js';

function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, msg, fields });
  const logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  } as unknown as Logger;
  return { logger, lines };
}

/** The start-up's way: one loadConfig, the credentials filled in before its checks. */
function withGeneratedCredentials(path: string, env: NodeJS.ProcessEnv, logger: Logger): FilledCredentials {
  let filled: FilledCredentials | undefined;
  const loaded = loadConfig(path, env, {
    requireSecrets: true,
    fillEnv: (parsed, given) => (filled = fillGeneratedCredentials(parsed, given, logger)).env,
  });
  // What the checks saw is what the app takes its secrets from.
  expect(loaded.secrets['DOCKER_WATCHER_TOKEN']).toBe(filled!.env.DOCKER_WATCHER_TOKEN);
  return filled!;
}

describe('fillGeneratedCredentials', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  function config(): { path: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'dw-credentials-'));
    dirs.push(dir);
    const path = join(dir, 'docker-watcher.yaml');
    writeFileSync(path, 'global: { data_dir: ./data }\nprojects: {}\n');
    return { path, file: join(dir, 'data', 'credentials.json') };
  }

  it('generates once (0600, logged as generated), then reuses without saying "generated"', () => {
    const { path, file } = config();
    const first = recordingLogger();
    const filled = withGeneratedCredentials(path, {}, first.logger);
    expect(filled.generated).toEqual(['DOCKER_WATCHER_SECRET', 'DOCKER_WATCHER_TOKEN']);
    expect(first.lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^generated credentials/) }),
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(filled.env.DOCKER_WATCHER_TOKEN).toBe(saved.DOCKER_WATCHER_TOKEN);
    expect(JSON.stringify(first.lines)).not.toContain(saved.DOCKER_WATCHER_TOKEN);

    const again = recordingLogger();
    const second = withGeneratedCredentials(path, {}, again.logger);
    expect(second.generated).toEqual([]);
    expect(second.env.DOCKER_WATCHER_SECRET).toBe(saved.DOCKER_WATCHER_SECRET);
    expect(again.lines.map((line) => line.msg)).toEqual(['using credentials generated on an earlier start']);
  });

  it('generates only what is not set, and nothing (no file, no log) when both are set', () => {
    const { path, file } = config();
    const quiet = recordingLogger();
    const set = withGeneratedCredentials(
      path,
      { DOCKER_WATCHER_SECRET: 's', DOCKER_WATCHER_TOKEN: 't' },
      quiet.logger,
    );
    expect(set.file).toBeUndefined();
    expect(quiet.lines).toEqual([]);
    expect(() => statSync(file)).toThrow();
    const half = withGeneratedCredentials(path, { DOCKER_WATCHER_SECRET: 's' }, recordingLogger().logger);
    expect(half.generated).toEqual(['DOCKER_WATCHER_TOKEN']);
    expect(half.env.DOCKER_WATCHER_SECRET).toBe('s');
  });

  it('lets the CLI find the token: the variable first, else the generated file, else nothing', () => {
    const { path } = config();
    const pick = (c: { global: { api_token_env: string } }) => c.global.api_token_env;
    expect(savedCredential(path, {}, pick)).toBeUndefined();
    const filled = withGeneratedCredentials(path, {}, recordingLogger().logger);
    expect(savedCredential(path, {}, pick)?.value).toBe(filled.env.DOCKER_WATCHER_TOKEN);
    expect(savedCredential(path, { DOCKER_WATCHER_TOKEN: 'mine' }, pick)).toEqual({ value: 'mine' });
  });
});
