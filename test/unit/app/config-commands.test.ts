import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfigCommand } from '../../../app/commands/check-config.js';
import { schemaCommand } from '../../../app/commands/schema.js';

const root = new URL('../../../', import.meta.url).pathname;

function capture(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), env },
  };
}

describe('check-config', () => {
  it('summarises a valid file and exits 0', async () => {
    const { out, io } = capture({ NPM_PASSWORD: 'x' });
    const file = join(root, 'docker-watcher.example.yaml');
    expect(await checkConfigCommand([file], io)).toBe(0);
    expect(out.stdout).toContain('is valid: 1 project(s), 3 stage(s)');
    expect(out.stdout).toMatch(
      /prod\s+v\*\s+on approval, confirm, promoted from rel\s+launcher\.example\.com/,
    );
    expect(out.stdout).toMatch(/dev\s+dev-\*\s+auto-deploy\s+stage-dev-web-app-launcher\.example\.com/);
    expect(out.stdout).toContain(
      'Not set here (needed when the app starts): DOCKER_WATCHER_SECRET, DOCKER_WATCHER_TOKEN, GITEA_TOKEN',
    );
  });

  it('prints every problem as FILE:LINE  path  message and exits 1', async () => {
    const { out, io } = capture();
    const file = 'test/fixtures/config/many-mistakes.yaml';
    expect(await checkConfigCommand([join(root, file)], io)).toBe(1);
    const lines = out.stdout.split('\n').filter((line) => line.includes('many-mistakes.yaml:'));
    expect(lines).toHaveLength(16);
    expect(lines[0]).toBe(
      `${join(root, file)}:5  global.listen.port  expected a number from 1 to 65535, found 70000`,
    );
    expect(out.stdout).not.toContain('hunter2');
  });

  it('with --require-secrets reports what start-up would', async () => {
    const { out, io } = capture();
    expect(
      await checkConfigCommand(['--require-secrets', join(root, 'docker-watcher.example.yaml')], io),
    ).toBe(1);
    expect(out.stdout).toMatch(/:11 {2}global\.npm\.password_env {2}environment variable NPM_PASSWORD/);
  });

  it('warns (exit 0) about files outside the config folder, the Docker socket and a missing repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-check-'));
    const file = join(dir, 'dw.yaml');
    writeFileSync(
      file,
      [
        'forges: { gh: { type: github, token_env: GH } }',
        'projects:',
        '  web:',
        '    image: 127.0.0.1:5000/acme/web',
        '    port: 8080',
        '    env_file: ../secrets/web.env',
        '    volumes: [/var/run/docker.sock:/var/run/docker.sock, /etc:/host-etc:ro, ./data:/data, cache:/cache]',
        '    stages: { dev: { tag_pattern: "dev-*", strategy: recreate } }',
        '  api:',
        '    image: 127.0.0.1:5000/acme/api',
        '    port: 8080',
        '    repository: acme/api',
        '    stages: { dev: { tag_pattern: "dev-*" } }',
      ].join('\n'),
    );
    const { out, io } = capture();
    expect(await checkConfigCommand([file], io)).toBe(0);
    expect(out.stdout).toContain('4 warning(s):');
    expect(out.stdout).toMatch(
      /projects\.web\.env_file {2}env_file \S+secrets\/web\.env is outside the config's folder/,
    );
    expect(out.stdout).toMatch(
      /projects\.web\.volumes\.0 {2}volume "\/var\/run\/docker\.sock:\/var\/run\/docker\.sock" mounts the Docker socket/,
    );
    expect(out.stdout).toMatch(
      /projects\.web\.volumes\.1 {2}volume "\/etc:\/host-etc:ro" mounts \/etc, outside/,
    );
    expect(out.stdout).toMatch(/projects\.web\.repository {2}no repository/);
    expect(out.stdout).not.toMatch(/volumes\.[23]|projects\.api/);
  });

  it('warns about a volume mounted read-write by a blue-green stage, naming the stages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-check-'));
    const file = join(dir, 'dw.yaml');
    writeFileSync(
      file,
      [
        'projects:',
        '  gitea:',
        '    image: 127.0.0.1:5000/acme/gitea',
        '    port: 3000',
        '    volumes: [./data:/data, ./conf:/etc/app:ro, cache:/cache:rw, /scratch]',
        '    stages:',
        '      dev: { tag_pattern: "dev-*" }',
        '      prod: { tag_pattern: "v*", strategy: recreate }',
        '      rel: { tag_pattern: "rc-*", strategy: blue-green }',
      ].join('\n'),
    );
    const { out, io } = capture();
    expect(await checkConfigCommand([file], io)).toBe(0);
    expect(out.stdout).toContain('2 warning(s):');
    expect(out.stdout).toMatch(
      /projects\.gitea\.volumes\.0 {2}volume "\.\/data:\/data" is mounted read-write and stage\(s\) dev, rel deploy blue-green: .*set strategy: recreate/,
    );
    expect(out.stdout).toMatch(
      /projects\.gitea\.volumes\.2 {2}volume "cache:\/cache:rw" is mounted read-write/,
    );
    expect(out.stdout).not.toMatch(/volumes\.[13]/);
  });

  it('exits 2 with usage when the file is not given', async () => {
    const { out, io } = capture();
    expect(await checkConfigCommand([], io)).toBe(2);
    expect(out.stderr).toContain('Usage: docker-watcher check-config');
  });
});

describe('schema', () => {
  it('prints the JSON Schema', async () => {
    const { out, io } = capture();
    expect(await schemaCommand([], io)).toBe(0);
    expect(JSON.parse(out.stdout).title).toBe('docker-watcher configuration');
  });
});
