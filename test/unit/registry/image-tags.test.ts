import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { listImageTags } from '../../../src/registry/image-tags.js';
import type { RegistryClient } from '../../../src/registry/registry-client.js';

const loaded: LoadedConfig = {
  config: configSchema.parse({
    global: { domain: 'example.test' },
    projects: {
      web: {
        image: 'registry.test/acme/web',
        port: 8080,
        stages: { dev: { tag_pattern: 'dev-*' }, rel: { tag_pattern: 'v*' }, prod: { tag_pattern: 'v*' } },
      },
    },
  }),
  file: '/t/docker-watcher.yaml',
  dir: '/t',
  secrets: {},
};

/** A registry holding `images` (tag -> [digest char, build time]), answering like the real client. */
function registry(images: Record<string, [string, string | undefined]>) {
  const asked: string[] = [];
  const client: Pick<RegistryClient, 'listTags' | 'resolveDigest' | 'pushedAt'> = {
    listTags: (_e, repository) => (asked.push(`tags ${repository}`), Promise.resolve(Object.keys(images))),
    resolveDigest: (_e, _r, tag) => Promise.resolve(`sha256:${images[tag]![0].repeat(64)}`),
    pushedAt: (_e, _r, digest) => {
      const built = Object.values(images).find(([c]) => digest === `sha256:${c.repeat(64)}`)?.[1];
      return Promise.resolve(built === undefined ? undefined : new Date(built));
    },
  };
  return { client, asked };
}

describe('listImageTags', () => {
  it('lists newest first with digest, build time and the stages each tag matches', async () => {
    const { client, asked } = registry({
      'dev-9': ['a', '2026-01-02T00:00:00Z'],
      'dev-10': ['b', '2026-01-03T00:00:00Z'],
      'v1.2.0': ['c', '2026-01-01T00:00:00Z'],
      latest: ['d', undefined],
    });
    const list = await listImageTags({ loaded, registry: client }, 'web');
    expect(asked).toEqual(['tags acme/web']);
    expect(list.more).toBe(0);
    expect(list.tags.map((t) => [t.tag, t.stages])).toEqual([
      ['dev-10', ['dev']],
      ['dev-9', ['dev']],
      ['v1.2.0', ['rel', 'prod']],
      ['latest', []],
    ]);
    expect(list.tags[0]).toEqual({
      tag: 'dev-10',
      digest: `sha256:${'b'.repeat(64)}`,
      created: '2026-01-03T00:00:00.000Z',
      stages: ['dev'],
    });
  });

  it('looks at the newest names only, and says how many it left out', async () => {
    const images: Record<string, [string, string]> = {};
    for (let i = 1; i <= 12; i++)
      images[`dev-${i}`] = [String.fromCharCode(96 + i), `2026-01-${String(i).padStart(2, '0')}T00:00:00Z`];
    const list = await listImageTags({ loaded, registry: registry(images).client }, 'web', { limit: 5 });
    expect(list.tags.map((t) => t.tag)).toEqual(['dev-12', 'dev-11', 'dev-10', 'dev-9', 'dev-8']);
    expect(list.more).toBe(7);
  });
});
