import { describe, expect, it } from 'vitest';
import { findStage, hasStage } from '../../../src/config/config-lookup.js';
import { resolveDeploySettings } from '../../../src/config/deploy-settings.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { previewsToEvict, previewExpired } from '../../../src/previews/preview-rules.js';
import { previewOfRequest, previewStageRefusal } from '../../../src/previews/preview-request.js';
import { previewDomain, previewPrOf, previewStageName } from '../../../src/previews/preview-stage.js';
import type { PreviewRecord } from '../../../src/store/store.js';

const input = (previews: Record<string, unknown> | undefined, npm = true): ConfigInput => ({
  global: {
    domain: 'example.com',
    ...(npm ? { npm: { url: 'http://npm:81', email: 'a@b.c', password_env: 'NPM_PASSWORD' } } : {}),
  },
  projects: {
    web: {
      image: 'registry.test/web',
      port: 8080,
      env: { SHARED: '1' },
      resources: { memory: '512m' },
      stages: {
        dev: { tag_pattern: 'dev-*', env: { DEV: 'dev' } },
        prod: { tag_pattern: 'v*', env: { PROD_KEY: 'prod-secret' } },
      },
      ...(previews ? { previews } : {}),
    },
  },
});
const loaded = (config: ConfigInput) => ({
  config: configSchema.parse(config),
  file: '/etc/dw/docker-watcher.yaml',
  dir: '/etc/dw',
  secrets: { NPM_PASSWORD: 'x' },
});

describe('preview naming', () => {
  it('names the stage pr-<n> and reads the PR back only from such names', () => {
    expect(previewStageName(12)).toBe('pr-12');
    expect(previewPrOf('pr-12')).toBe(12);
    for (const other of ['pr-0', 'pr-012', 'pr-', 'dev', 'pr-1x', 'xpr-1'])
      expect(previewPrOf(other)).toBeUndefined();
  });

  it('puts the domain one label under global.domain, pattern replaced', () => {
    const config = configSchema.parse(input({ enabled: true }));
    expect(previewDomain(config, 'web', 7)).toBe('pr-7-web.example.com');
    const custom = configSchema.parse(input({ enabled: true, subdomain_pattern: '{project}-pr{pr}' }));
    expect(previewDomain(custom, 'web', 7)).toBe('web-pr7.example.com');
    expect(() => configSchema.parse(input({ enabled: true, subdomain_pattern: 'web' }))).toThrow(/\{pr\}/);
  });

  it('knows preview stages only when previews are on', () => {
    expect(hasStage(configSchema.parse(input(undefined)), 'web', 'pr-3')).toBe(false);
    expect(hasStage(configSchema.parse(input({ enabled: false })), 'web', 'pr-3')).toBe(false);
    const on = configSchema.parse(input({ enabled: true, tag_pattern: 'pr-*' }));
    expect(hasStage(on, 'web', 'pr-3')).toBe(true);
    expect(findStage(on, 'web', 'pr-3').stageConfig).toMatchObject({
      tag_pattern: 'pr-*',
      auto_deploy: true,
    });
  });
});

describe('preview settings, derived at the root', () => {
  it("takes the project's env, the env of from:, its own env and its URL, never another stage's", () => {
    const settings = resolveDeploySettings(
      loaded(input({ enabled: true, from: 'dev', env: { PREVIEW: 'yes' }, resources: { memory: '128m' } })),
    );
    const preview = settings.stage('web', 'pr-7');
    expect(preview.env).toEqual({
      SHARED: '1',
      DEV: 'dev',
      PREVIEW: 'yes',
      DOCKER_WATCHER_URL: 'https://pr-7-web.example.com',
    });
    expect(preview.domain).toBe('pr-7-web.example.com');
    expect(preview.memoryBytes).toBe(128 * 1024 * 1024);
    expect(settings.stage('web', 'dev').memoryBytes).toBe(512 * 1024 * 1024);
    expect(settings.stages.map((s) => s.stage)).toEqual(['dev', 'prod']);
  });

  it('without a proxy there is no URL to tell the container before it starts', () => {
    const settings = resolveDeploySettings(loaded(input({ enabled: true }, false)));
    expect(settings.stage('web', 'pr-7').env).toEqual({ SHARED: '1' });
  });
});

describe('which requests make a preview', () => {
  const config = configSchema.parse(input({ enabled: true, tag_pattern: 'pr-*' }));
  it('a CI request with a PR number and a matching tag, naming no other stage', () => {
    expect(previewOfRequest(config, { project: 'web', tag: 'pr-5-1', source: { pr: 5 } })).toEqual({
      pr: 5,
      stage: 'pr-5',
    });
    expect(previewOfRequest(config, { project: 'web', tag: 'dev-1', source: { pr: 5 } })).toBeUndefined();
    expect(previewOfRequest(config, { project: 'web', tag: 'pr-5-1' })).toBeUndefined();
    expect(
      previewOfRequest(config, { project: 'web', stage: 'dev', tag: 'pr-5-1', source: { pr: 5 } }),
    ).toBeUndefined();
  });
  it("a preview stage takes only its own PR's CI", () => {
    expect(previewStageRefusal('pr-5', { trigger: 'ci', source: { pr: 5 } })).toBeUndefined();
    expect(previewStageRefusal('pr-5', { trigger: 'ci', source: { pr: 6 } })).toMatch(/only that PR's CI/);
    expect(previewStageRefusal('pr-5', { trigger: 'poll' })).toMatch(/preview of PR #5/);
    expect(previewStageRefusal('pr-5', { trigger: 'rollback' })).toBeUndefined();
  });
});

describe('eviction and TTL', () => {
  const preview = (pr: number, lastDeployAt: string): PreviewRecord => ({
    project: 'web',
    pr,
    stage: `pr-${pr}`,
    domain: `pr-${pr}-web.example.com`,
    createdAt: '2025-01-01T00:00:00.000Z',
    lastDeployAt,
    state: 'live',
  });
  const live = [
    preview(3, '2025-01-03T00:00:00.000Z'),
    preview(1, '2025-01-01T00:00:00.000Z'),
    preview(2, '2025-01-02T00:00:00.000Z'),
  ];
  it('evicts the idlest until one more fits', () => {
    expect(previewsToEvict(live, 4)).toEqual([]);
    expect(previewsToEvict(live, 3).map((p) => p.pr)).toEqual([1]);
    expect(previewsToEvict(live, 2).map((p) => p.pr)).toEqual([1, 2]);
  });
  it('expires after ttl_hours without a deploy; 0 never', () => {
    const p = preview(1, '2025-01-01T00:00:00.000Z');
    const settings = configSchema.parse(input({ enabled: true, ttl_hours: 24 })).projects['web']!.previews!;
    expect(previewExpired(p, settings, new Date('2025-01-01T23:59:59.000Z'))).toBe(false);
    expect(previewExpired(p, settings, new Date('2025-01-02T00:00:00.000Z'))).toBe(true);
    expect(previewExpired(p, { ...settings, ttl_hours: 0 }, new Date('2030-01-01T00:00:00.000Z'))).toBe(
      false,
    );
  });
});
