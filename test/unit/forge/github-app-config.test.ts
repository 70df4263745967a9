import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../app/server.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import { ConfigError } from '../../../src/core/errors.js';
import { resolveAppCredentials } from '../../../src/forge/github-app/app-credentials.js';

const scratch = mkdtempSync(join(tmpdir(), 'dw-app-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

const configWith = (forge: string[], env: NodeJS.ProcessEnv = {}) => {
  const file = join(scratch, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      'forges:',
      '  github:',
      '    type: github',
      ...forge.map((line) => `    ${line}`),
      'projects: {}',
      '',
    ].join('\n'),
  );
  return loadConfig(file, env);
};

const issues = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('GitHub App settings', () => {
  it('reads the private key once from its file, relative to the config', () => {
    writeFileSync(join(scratch, 'app.pem'), pem);
    const apps = resolveAppCredentials(
      configWith(['app_id: 12', 'private_key_file: app.pem', 'installation_id: 5']),
    );
    expect(apps.get('github')).toEqual({ appId: 12, privateKey: pem, installationId: 5 });
  });

  it('reads it from an env variable, \\n-escaped newlines too', () => {
    const loaded = configWith(['app_id: 12', 'private_key_env: GH_APP_KEY'], {
      GH_APP_KEY: pem.replaceAll('\n', '\\n'),
    });
    expect(resolveAppCredentials(loaded).get('github')?.privateKey).toBe(pem);
  });

  it('names the missing file, never a key', () => {
    const error = issues(() =>
      resolveAppCredentials(configWith(['app_id: 12', 'private_key_file: nope.pem'])),
    );
    expect(error[0]).toMatch(
      /^forges\.github\.private_key_file: the private key file .*nope\.pem cannot be read \(ENOENT\)/,
    );
  });

  it('names the variable that holds something that is not a key, without its content', () => {
    const loaded = configWith(['app_id: 12', 'private_key_env: GH_APP_KEY'], {
      GH_APP_KEY: 'secret-but-not-a-key',
    });
    const error = issues(() => resolveAppCredentials(loaded));
    expect(error[0]).toMatch(
      /^forges\.github\.private_key_env: environment variable GH_APP_KEY does not hold an RSA private key/,
    );
    expect(error.join('')).not.toContain('secret-but-not-a-key');
  });

  it('checks the keys belong together', () => {
    expect(issues(() => configWith(['app_id: 12']))).toEqual([
      'forges.github.app_id: a GitHub App needs exactly one of private_key_file and private_key_env, found none',
    ]);
    expect(
      issues(() => configWith(['app_id: 12', 'private_key_file: a.pem', 'token_env: GH_TOKEN'])),
    ).toEqual([
      'forges.github.token_env: token_env and app_id are two identities; keep app_id (the App) or token_env (a personal token)',
    ]);
    expect(issues(() => configWith(['private_key_file: a.pem']))).toEqual([
      'forges.github.private_key_file: private_key_file is a GitHub App key; set app_id too, or remove private_key_file',
    ]);
  });

  it('requires the key variable at start-up like every *_env', () => {
    const file = join(scratch, 'start.yaml');
    writeFileSync(
      file,
      'forges:\n  github:\n    type: github\n    app_id: 3\n    private_key_env: GH_APP_KEY\nprojects: {}\n',
    );
    const error = issues(() =>
      loadConfig(file, { DOCKER_WATCHER_SECRET: 's', DOCKER_WATCHER_TOKEN: 't' }, { requireSecrets: true }),
    );
    expect(error).toContain(
      'forges.github.private_key_env: environment variable GH_APP_KEY (named by forges.github.private_key_env) is not set; set it before starting docker-watcher',
    );
  });

  it('stops the app at start-up, before anything else, naming the key file', async () => {
    const file = join(scratch, 'serve.yaml');
    writeFileSync(
      file,
      'global: { data_dir: ./data }\nforges:\n  github:\n    type: github\n    app_id: 3\n    private_key_file: missing.pem\nprojects: {}\n',
    );
    const started = startServer({
      configPath: file,
      env: { DOCKER_WATCHER_SECRET: 's', DOCKER_WATCHER_TOKEN: 't' },
      logger: silentLogger,
      port: 0,
    });
    await expect(started).rejects.toThrow(
      /forges\.github\.private_key_file {2}the private key file .*missing\.pem cannot be read/,
    );
  });
});
