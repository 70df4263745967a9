import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allStageDomains } from '../../../src/config/domains.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/core/errors.js';

const root = new URL('../../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/config');
const scratch = mkdtempSync(join(tmpdir(), 'dw-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): ConfigError['issues'] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function writeConfig(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('reports a !!binary value where an object belongs as a ConfigError (no TypeError)', () => {
    const file = writeConfig(
      'binary.yaml',
      'global:\n  domain: example.com\n  health: !!binary aGVsbG8=\nprojects:\n  web:\n    image: r/w\n    port: 80\n    stages: { dev: {} }\n',
    );
    const paths = issuesOf(() => loadConfig(file, {})).map((i) => i.path);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.some((p) => p.startsWith('global.health'))).toBe(true);
  });

  it('loads the example file with the documented domains', () => {
    const loaded = loadConfig(join(root, 'docker-watcher.example.yaml'), {});
    expect(allStageDomains(loaded.config).map((d) => d.domain)).toEqual([
      'stage-dev-web-app-launcher.example.com',
      'stage-rel-web-app-launcher.example.com',
      'launcher.example.com',
    ]);
    expect(loaded.dir).toBe(root.replace(/\/$/, ''));
    expect(loaded.config.projects['web-app-launcher']?.stages.prod?.promote_from).toBe('rel');
  });

  it('loads the quickstart config with no environment at all', () => {
    const loaded = loadConfig(join(root, 'config/quickstart.yaml'), {});
    expect(loaded.config.global.npm).toBeUndefined();
    expect(loaded.config.projects.demo?.stages.dev?.auto_deploy).toBe(true);
  });

  it('puts the named secrets into secrets, keyed by variable name', () => {
    const env = {
      DW_TEST_SECRET: 's1',
      DW_TEST_TOKEN: 't1',
      DW_TEST_NPM_PASSWORD: 'npm-pw',
      DW_TEST_REGISTRY_TOKEN: 'reg',
      DW_TEST_FORGE_TOKEN: 'forge',
      UNRELATED: 'x',
    };
    const loaded = loadConfig(join(fixtures, 'valid.yaml'), env, { requireSecrets: true });
    expect(loaded.secrets).toEqual({
      DW_TEST_SECRET: 's1',
      DW_TEST_TOKEN: 't1',
      DW_TEST_NPM_PASSWORD: 'npm-pw',
      DW_TEST_REGISTRY_TOKEN: 'reg',
      DW_TEST_FORGE_TOKEN: 'forge',
    });
  });

  it('reports every mistake of the bad file with its path and line', () => {
    const issues = issuesOf(() => loadConfig(join(fixtures, 'many-mistakes.yaml'), {}));
    const found = issues.map((issue) => `${issue.line} ${issue.path}`);
    expect(found).toEqual([
      '5 global.listen.port',
      '9 global.npm.password_env',
      '10 global.npm.forward',
      '13 registries.gitea.url',
      '16 projects.web.image',
      '17 projects.web.registry',
      '18 projects.web.forge',
      '19 projects.web.port',
      '21 projects.web.stages.dev.tag_pattern',
      '22 projects.web.stages.dev.tag_patern',
      '23 projects.web.stages.dev.auto_deploy',
      '25 projects.web.stages.rel.tag_pattern',
      '28 projects.web.stages.prod.promote_from',
      '30 projects.api.image',
      '35 projects.api.stages.dev.subdomain',
      '36 projects.api.stages.dev.promote_from',
    ]);
    const message = (path: string) => issues.find((issue) => issue.path === path)?.message;
    expect(message('projects.web.stages.dev.tag_patern')).toContain('did you mean "tag_pattern"?');
    expect(message('global.listen.port')).toBe('expected a number from 1 to 65535, found 70000');
    expect(message('projects.web.port')).toBe('expected a number, found "3000"');
    expect(message('projects.web.image')).toContain('remove ":latest"');
    expect(message('projects.web.registry')).toContain('"gitlab"');
    expect(message('projects.api.stages.dev.subdomain')).toContain('stage-prod-web.example.test');
  });

  it('never shows a secret pasted into an _env key', () => {
    const issues = issuesOf(() => loadConfig(join(fixtures, 'many-mistakes.yaml'), {}));
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('accepts a registry port in the image and rejects a tag after it', () => {
    const base = 'projects:\n  app:\n    port: 80\n    stages: { dev: { tag_pattern: "*" } }\n    image: ';
    expect(
      loadConfig(writeConfig('port.yaml', `${base}127.0.0.1:5000/app\n`), {}).config.projects.app?.image,
    ).toBe('127.0.0.1:5000/app');
    const issues = issuesOf(() => loadConfig(writeConfig('tag.yaml', `${base}127.0.0.1:5000/app:1.0\n`), {}));
    expect(issues).toEqual([expect.objectContaining({ path: 'projects.app.image', line: 5 })]);
  });

  it('reports YAML syntax errors with their line', () => {
    const file = writeConfig('syntax.yaml', 'global:\n  domain: a\n  domain: b\nprojects: [\n');
    const issues = issuesOf(() => loadConfig(file, {}));
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(
      issues.every((issue) => issue.line !== undefined && issue.message.startsWith('YAML syntax error')),
    ).toBe(true);
    expect(issues.map((issue) => issue.line)).toContain(3);
  });

  it('with requireSecrets names each unset variable and the key needing it, and a missing env_file', () => {
    const env = { DW_TEST_SECRET: 'super-secret-value', DW_TEST_TOKEN: 't' };
    const file = writeConfig(
      'secrets.yaml',
      [
        'global:',
        '  secret_env: DW_TEST_SECRET',
        '  api_token_env: DW_TEST_TOKEN',
        'registries:',
        '  r: { url: "https://r.example", token_env: DW_TEST_MISSING }',
        'projects:',
        '  app:',
        '    image: r.example/app',
        '    port: 80',
        '    env_file: ./nope.env',
        '    stages: { dev: { tag_pattern: "*" } }',
      ].join('\n'),
    );
    expect(loadConfig(file, env).secrets).toEqual(env);
    const issues = issuesOf(() => loadConfig(file, env, { requireSecrets: true }));
    expect(issues).toEqual([
      expect.objectContaining({ path: 'registries.r.token_env', line: 5 }),
      expect.objectContaining({ path: 'projects.app.env_file', line: 10 }),
    ]);
    expect(issues[0]?.message).toContain('DW_TEST_MISSING');
    expect(issues[1]?.message).toContain('nope.env');
    expect(JSON.stringify(issues)).not.toContain('super-secret-value');
  });

  it('checks and takes the secrets from what fillEnv gives, called once and only for a valid config', () => {
    const file = writeConfig(
      'fill.yaml',
      'global: { secret_env: DW_FILL_SECRET, api_token_env: DW_FILL_TOKEN }\nprojects: {}\n',
    );
    const calls: string[] = [];
    const loaded = loadConfig(
      file,
      { DW_FILL_SECRET: 's' },
      {
        requireSecrets: true,
        fillEnv: ({ config }, env) => {
          calls.push(config.global.api_token_env);
          return { ...env, DW_FILL_TOKEN: 'filled' };
        },
      },
    );
    expect(calls).toEqual(['DW_FILL_TOKEN']);
    expect(loaded.secrets).toEqual({ DW_FILL_SECRET: 's', DW_FILL_TOKEN: 'filled' });
    const invalid = writeConfig('fill-bad.yaml', 'global: { listen: { port: -1 } }\nprojects: {}\n');
    issuesOf(() => loadConfig(invalid, {}, { requireSecrets: true, fillEnv: () => calls.push('x') && {} }));
    expect(calls).toEqual(['DW_FILL_TOKEN']);
  });

  it('reports a missing file as a config problem', () => {
    const issues = issuesOf(() => loadConfig(join(scratch, 'absent.yaml'), {}));
    expect(issues[0]?.message).toContain('ENOENT');
  });
});
