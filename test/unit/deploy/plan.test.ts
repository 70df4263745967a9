import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import {
  containerName,
  containerSpec,
  deployUrl,
  digestFor,
  healthConfig,
  imageReference,
  newContainerName,
  parseMemory,
  pullDecision,
  resolveVolume,
} from '../../../src/deploy/plan.js';
import { pullCredentials } from '../../../src/deploy/pull-credentials.js';
import { versionsToRemove } from '../../../src/deploy/retention.js';
import type { ContainerDetails } from '../../../src/docker/engine.js';

function loaded(input: ConfigInput, secrets: Record<string, string> = {}): LoadedConfig {
  return { config: configSchema.parse(input), file: '/srv/dw/dw.yml', dir: '/srv/dw', secrets };
}

const web = {
  image: 'git.example.com/alexei/web',
  port: 3000,
  env: { A: 'project', B: 'project' },
  volumes: ['./data:/data', 'cache:/cache', '/abs:/abs:ro'],
  resources: { memory: '512m', cpus: 0.5 },
  stages: { dev: { tag_pattern: 'dev-*', env: { B: 'stage' } } },
};

describe('containerName', () => {
  it('builds dw-{project}-{stage}-{tag} in Docker-safe lower case', () => {
    expect(containerName('web', 'dev', 'dev-42')).toBe('dw-web-dev-dev-42');
    expect(containerName('Web', 'Dev', 'V1.2.3_RC')).toBe('dw-web-dev-v1.2.3_rc');
    expect(containerName('web', 'dev', 'feat/x+y')).toBe('dw-web-dev-feat-x-y');
  });

  it('bounds long names to 63 characters and keeps them distinct', () => {
    const a = containerName('web', 'dev', `${'x'.repeat(80)}a`);
    const b = containerName('web', 'dev', `${'x'.repeat(80)}b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9][a-z0-9_.-]+$/);
  });

  it('gives a same-tag redeploy its own name while the old one keeps the base name', () => {
    expect(newContainerName('dw-web-dev-v1', '0abc123def456', new Set())).toBe('dw-web-dev-v1');
    expect(newContainerName('dw-web-dev-v1', '0abc123def456', new Set(['dw-web-dev-v1']))).toBe(
      'dw-web-dev-v1-def456',
    );
  });
});

describe('containerSpec', () => {
  it('carries labels, merged env, resolved volumes, limits and logging', () => {
    const spec = containerSpec({
      loaded: loaded({ projects: { web } }),
      project: 'web',
      stage: 'dev',
      tag: 'dev-42',
      deployId: 'd1',
      instanceId: 'host-a',
      name: 'dw-web-dev-dev-42',
      imageRef: 'git.example.com/alexei/web@sha256:abc',
      envFile: { A: 'file', C: 'file' },
    });
    expect(spec).toEqual({
      name: 'dw-web-dev-dev-42',
      image: 'git.example.com/alexei/web@sha256:abc',
      labels: {
        'docker-watcher.project': 'web',
        'docker-watcher.stage': 'dev',
        'docker-watcher.instance-id': 'host-a',
        'docker-watcher.deploy-id': 'd1',
        'docker-watcher.tag': 'dev-42',
      },
      env: ['A=project', 'C=file', 'B=stage'],
      volumes: ['/srv/dw/data:/data', 'cache:/cache', '/abs:/abs:ro'],
      network: 'docker-watcher',
      port: 3000,
      publishHost: '127.0.0.1',
      restartPolicy: 'unless-stopped',
      memoryBytes: 512 * 1024 * 1024,
      nanoCpus: 500_000_000,
      log: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
      stopTimeoutSeconds: 10,
    });
  });
});

describe('small planning functions', () => {
  it('parses memory sizes', () => {
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('2048')).toBe(2048);
    expect(() => parseMemory('lots')).toThrow(/"lots".*512m/);
  });

  it('resolves only relative host paths', () => {
    expect(resolveVolume('data:/data', '/cfg')).toBe('data:/data');
    expect(resolveVolume('../x:/x:ro', '/cfg/sub')).toBe('/cfg/x:/x:ro');
  });

  it('prefers digests for image references', () => {
    expect(imageReference('r/app', 'v1')).toBe('r/app:v1');
    expect(imageReference('r/app', 'v1', 'sha256:1')).toBe('r/app@sha256:1');
    expect(digestFor('127.0.0.1:5000/app', ['other@sha256:0', '127.0.0.1:5000/app@sha256:9'])).toBe(
      'sha256:9',
    );
    expect(digestFor('r/app', [])).toBeUndefined();
  });

  it('decides pulls by policy, never re-pulling a present digest', () => {
    expect(pullDecision('always', false, true)).toBe('pull');
    expect(pullDecision('always', true, true)).toBe('skip');
    expect(pullDecision('if-missing', false, true)).toBe('skip');
    expect(pullDecision('if-missing', false, false)).toBe('pull');
    expect(pullDecision('never', false, false)).toBe('missing');
    expect(pullDecision('never', true, true)).toBe('skip');
  });

  it('builds the stage URL from NPM or the published port', () => {
    const plain = loaded({ projects: { web } }).config;
    expect(deployUrl({ config: plain, domain: 'd.example', hostPort: 32770 })).toBe('http://127.0.0.1:32770');
    const npm = loaded({
      global: { npm: { url: 'http://npm:81', email: 'a@b', password_env: 'NPM_PW' } },
      projects: { web },
    });
    expect(deployUrl({ config: npm.config, domain: 'd.example', hostPort: 1 })).toBe('https://d.example');
  });

  it('lets a project override single health settings', () => {
    const config = loaded({ global: { health: { deadline_seconds: 30 } }, projects: { web } }).config;
    expect(healthConfig(config, 'web')).toEqual({
      timeout_seconds: 5,
      interval_seconds: 1,
      deadline_seconds: 30,
      healthy_after: 1,
      client_error_grace_seconds: 30,
    });
  });
});

describe('pullCredentials', () => {
  const registries = { gitea: { url: 'https://git.example.com', username: 'ci', token_env: 'REG_TOKEN' } };

  it('reads user and token, with the image host as server address', () => {
    const creds = pullCredentials(
      loaded({ registries, projects: { web: { ...web, registry: 'gitea' } } }, { REG_TOKEN: 't0k' }),
      'web',
    );
    expect(creds).toEqual({ username: 'ci', password: 't0k', serverAddress: 'git.example.com' });
  });

  it('names the missing variable without any secret value', () => {
    const run = () =>
      pullCredentials(loaded({ registries, projects: { web: { ...web, registry: 'gitea' } } }), 'web');
    expect(run).toThrow(/REG_TOKEN/);
  });

  it('returns nothing for a project without registry', () => {
    expect(pullCredentials(loaded({ projects: { web } }), 'web')).toBeUndefined();
  });
});

describe('versionsToRemove', () => {
  const container = (id: string, deployId: string, state: ContainerDetails['state']): ContainerDetails => ({
    id,
    name: id,
    image: 'i',
    imageId: 'i',
    labels: { 'docker-watcher.deploy-id': deployId },
    state,
    restartCount: 0,
  });

  it('keeps the newest stopped versions and never running or protected ones', () => {
    const all = [
      container('a', 'd1', 'exited'),
      container('b', 'd2', 'exited'),
      container('c', 'd3', 'exited'),
      container('live', 'd4', 'running'),
      container('new', 'd5', 'created'),
    ];
    expect(versionsToRemove(all, 2, new Set(['new'])).map((c) => c.id)).toEqual(['a']);
    expect(versionsToRemove(all, 0, new Set(['new'])).map((c) => c.id)).toEqual(['c', 'b', 'a']);
  });
});
