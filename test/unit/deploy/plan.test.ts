import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { resolveDeploySettings } from '../../../src/config/deploy-settings.js';
import { stageRouteTarget } from '../../../src/deploy/route-target.js';
import {
  containerName,
  containerSpec,
  deployPlan,
  digestFor,
  healthConfig,
  imageReference,
  newContainerName,
  parseMemory,
  pullDecision,
  pullFor,
  resolveVolume,
  stageUrl,
  type PlanInput,
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

/** The plan inputs of a deploy of `tag` to web/dev under `input`, with nothing live. */
function planInput(input: ConfigInput, tag: string, extra: Partial<PlanInput> = {}): PlanInput {
  const settings = resolveDeploySettings(loaded(input));
  return {
    deployId: 'd1',
    intent: { project: 'web', stage: 'dev', image: 'git.example.com/alexei/web', tag, trigger: 'ci' },
    stage: settings.stage('web', 'dev'),
    engine: settings.engine,
    instanceId: 'host-a',
    reach: 'host',
    live: undefined,
    ...extra,
  };
}

const live = {
  project: 'web',
  stage: 'dev',
  deployId: 'd0',
  tag: 'dev-41',
  image: 'git.example.com/alexei/web',
  imageRef: 'git.example.com/alexei/web@sha256:old',
  containerId: 'c-old',
  containerName: 'dw-web-dev-dev-41',
  since: '2026-01-01T00:00:00.000Z',
};

describe('deployPlan', () => {
  it('computes everything a blue-green swap needs from the settings, the intent and what is live', () => {
    const registries = { gitea: { url: 'https://git.example.com', username: 'ci', token_env: 'REG_TOKEN' } };
    const settings = resolveDeploySettings(
      loaded(
        {
          global: { domain: 'example.com', docker: { drain_seconds: 3 }, health: { deadline_seconds: 30 } },
          registries,
          projects: { web: { ...web, registry: 'gitea', healthcheck: '/up', keep_versions: 4 } },
        },
        { REG_TOKEN: 't0k' },
      ),
    );
    const plan = deployPlan({
      ...planInput({ projects: { web } }, 'dev-42'),
      stage: settings.stage('web', 'dev'),
      engine: settings.engine,
      live,
    });
    expect(plan).toEqual({
      deployId: 'd1',
      project: 'web',
      stage: 'dev',
      tag: 'dev-42',
      strategy: 'blue-green',
      phases: ['resolve', 'pull', 'create', 'start', 'health', 'switch', 'persist', 'drain', 'stop_old'],
      image: { repository: 'git.example.com/alexei/web', requested: 'git.example.com/alexei/web:dev-42' },
      pull: {
        ifPresent: 'pull',
        ifMissing: 'pull',
        credentials: { username: 'ci', password: 't0k', serverAddress: 'git.example.com' },
      },
      container: {
        baseName: 'dw-web-dev-dev-42',
        alternateName: 'dw-web-dev-dev-42-d1',
        labels: {
          'docker-watcher.project': 'web',
          'docker-watcher.stage': 'dev',
          'docker-watcher.instance-id': 'host-a',
          'docker-watcher.deploy-id': 'd1',
          'docker-watcher.tag': 'dev-42',
        },
        env: { A: 'project', B: 'stage' },
        spec: {
          volumes: ['/srv/dw/data:/data', 'cache:/cache', '/abs:/abs:ro'],
          network: 'docker-watcher',
          port: 3000,
          publishHost: '127.0.0.1',
          restartPolicy: 'unless-stopped',
          memoryBytes: 512 * 1024 * 1024,
          nanoCpus: 500_000_000,
          log: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
          stopTimeoutSeconds: 10,
        },
      },
      route: {
        project: 'web',
        stage: 'dev',
        domain: 'stage-dev-web.example.com',
        port: 3000,
        healthPath: '/up',
      },
      probe: { reach: 'host', port: 3000, path: '/up', publishHost: '127.0.0.1' },
      health: {
        timeout_seconds: 5,
        interval_seconds: 1,
        deadline_seconds: 30,
        healthy_after: 1,
        client_error_grace_seconds: 30,
      },
      drainMs: 3000,
      stopTimeoutSeconds: 10,
      keepVersions: 4,
      publicUrl: { domain: 'stage-dev-web.example.com', publishHost: '127.0.0.1' },
      previous: live,
    });
  });

  it('stops the old container first under recreate, and drains nothing when nothing is live', () => {
    const input = planInput(
      { projects: { web: { ...web, stages: { dev: { tag_pattern: '*', strategy: 'recreate' } } } } },
      'dev-42',
    );
    const plan = deployPlan(input);
    expect(plan.strategy).toBe('recreate');
    expect(plan.phases).toEqual([
      'resolve',
      'pull',
      'create',
      'stop_old',
      'start',
      'health',
      'switch',
      'persist',
    ]);
    expect(plan.drainMs).toBe(0);
    expect(plan.previous).toBeUndefined();
  });

  it('pins the digest and never re-pulls what is present by digest', () => {
    const plan = deployPlan(
      planInput({ projects: { web } }, 'dev-42', {
        intent: {
          project: 'web',
          stage: 'dev',
          image: 'git.example.com/alexei/web',
          tag: 'dev-42',
          digest: 'sha256:abc',
          trigger: 'rollback',
          rollbackOf: 'd0',
        },
      }),
    );
    expect(plan.image).toEqual({
      repository: 'git.example.com/alexei/web',
      requested: 'git.example.com/alexei/web@sha256:abc',
      digest: 'sha256:abc',
    });
    expect([pullFor(plan, true), pullFor(plan, false)]).toEqual(['skip', 'pull']);
    expect(plan.rollbackOf).toBe('d0');
  });

  it('carries a registry login that cannot be used as the problem a pull fails with', () => {
    const registries = { gitea: { url: 'https://git.example.com', username: 'ci', token_env: 'REG_TOKEN' } };
    const plan = deployPlan(
      planInput({ registries, projects: { web: { ...web, registry: 'gitea' } } }, 'v1'),
    );
    expect(plan.pull.credentials).toBeUndefined();
    expect(plan.pull.credentialsProblem).toMatch(/REG_TOKEN/);
  });

  it('builds the route target of any container in one place', () => {
    const plan = deployPlan(planInput({ projects: { web } }, 'dev-42'));
    expect(stageRouteTarget(plan.route, { name: 'dw-web-dev-dev-42', hostPort: 32770 })).toEqual({
      project: 'web',
      stage: 'dev',
      domain: 'stage-dev-web.localhost',
      containerName: 'dw-web-dev-dev-42',
      port: 3000,
      healthPath: '/',
      hostPort: 32770,
    });
    expect(stageRouteTarget(plan.route, { name: 'c' })).not.toHaveProperty('hostPort');
  });
});

describe('containerSpec', () => {
  it('carries labels, merged env, resolved volumes, limits and logging', () => {
    const plan = deployPlan(planInput({ projects: { web } }, 'dev-42'));
    const spec = containerSpec(plan, 'dw-web-dev-dev-42', 'git.example.com/alexei/web@sha256:abc', {
      A: 'file',
      C: 'file',
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
    const plain = deployPlan(planInput({ projects: { web } }, 'v1')).publicUrl;
    expect(stageUrl(plain, 32770)).toBe('http://127.0.0.1:32770');
    expect(stageUrl(plain, undefined)).toBeUndefined();
    // A Swarm task on another node: its port is on that node.
    expect(stageUrl(plain, 32770, '10.0.0.12')).toBe('http://10.0.0.12:32770');
    const npm = (certificate: 'auto' | 'none') =>
      deployPlan(
        planInput(
          {
            global: { npm: { url: 'http://npm:81', email: 'a@b', password_env: 'NPM_PW', certificate } },
            projects: { web },
          },
          'v1',
        ),
      ).publicUrl;
    expect(stageUrl(npm('auto'), 1)).toBe('https://stage-dev-web.localhost');
    expect(stageUrl(npm('none'), 1)).toBe('http://stage-dev-web.localhost');
  });

  it('builds the stage URL on the built-in router: its port unless the scheme default, the same for every version', () => {
    const routed = (router: Record<string, unknown>) =>
      deployPlan(planInput({ global: { router }, projects: { web } }, 'v1')).publicUrl;
    expect(stageUrl(routed({}), 32770)).toBe('http://stage-dev-web.localhost:8081');
    expect(stageUrl(routed({}), 32999)).toBe('http://stage-dev-web.localhost:8081');
    expect(stageUrl(routed({ port: 80 }), 1)).toBe('http://stage-dev-web.localhost');
    expect(stageUrl(routed({ port: 8081, public_port: 443, public_scheme: 'https' }), 1)).toBe(
      'https://stage-dev-web.localhost',
    );
    expect(stageUrl(routed({ port: 80, public_port: 8443, public_scheme: 'https' }), 1)).toBe(
      'https://stage-dev-web.localhost:8443',
    );
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
    const { config } = loaded({ registries, projects: { web: { ...web, registry: 'gitea' } } });
    const creds = pullCredentials(config, { REG_TOKEN: 't0k' }, 'web');
    expect(creds).toEqual({ username: 'ci', password: 't0k', serverAddress: 'git.example.com' });
  });

  it('names the missing variable without any secret value', () => {
    const { config } = loaded({ registries, projects: { web: { ...web, registry: 'gitea' } } });
    const run = () => pullCredentials(config, {}, 'web');
    expect(run).toThrow(/REG_TOKEN/);
  });

  it('returns nothing for a project without registry', () => {
    expect(pullCredentials(loaded({ projects: { web } }).config, {}, 'web')).toBeUndefined();
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

describe('deployPlan on a Swarm', () => {
  it('resolves runtime swarm with the project keys over global.swarm, and puts the version on the overlay network', () => {
    const input: ConfigInput = {
      global: { network: 'dw', runtime: 'swarm', swarm: { replicas: 2, placement: ['node.role==worker'] } },
      projects: { web: { ...web, swarm: { replicas: 3 } }, api: { ...web, runtime: 'docker' } },
    };
    const settings = resolveDeploySettings(loaded(input));
    expect(settings.stage('web', 'dev')).toMatchObject({
      runtime: 'swarm',
      swarm: { replicas: 3, placement: ['node.role==worker'], network: 'dw-swarm', startTimeoutSeconds: 60 },
    });
    expect(settings.stage('api', 'dev').runtime).toBe('docker');
    expect(settings.stage('api', 'dev').swarm).toBeUndefined();
    expect(deployPlan(planInput(input, 'dev-1')).container.spec.network).toBe('dw-swarm');
  });

  it('rejects unknown swarm keys and replicas below 1, naming the key', () => {
    expect(() => configSchema.parse({ projects: { web: { ...web, swarm: { replica: 2 } } } })).toThrow(
      /replica/,
    );
    expect(() => configSchema.parse({ projects: { web: { ...web, swarm: { replicas: 0 } } } })).toThrow(
      /replicas/,
    );
  });
});
