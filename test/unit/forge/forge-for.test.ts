import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import type { DeploySource } from '../../../src/core/deploy-types.js';
import { createForgeClients, forgeApiUrl, forgeFor } from '../../../src/forge/forge-for.js';

const stages = { dev: { tag_pattern: '*' } };
const loadedOf = (
  input: ConfigInput,
  secrets: Record<string, string> = { GH: 't1', GT: 't2' },
): LoadedConfig => ({
  config: configSchema.parse(input),
  file: '/x/dw.yml',
  dir: '/x',
  secrets,
});
/** The clients the composition root builds once, from the config and its secrets. */
const clientsOf = (input: ConfigInput, secrets?: Record<string, string>) =>
  createForgeClients(loadedOf(input, secrets));
const source = (forge: 'github' | 'gitea', serverUrl: string): DeploySource => ({
  forge,
  serverUrl,
  repository: 'from/source',
  sha: 'f'.repeat(40),
});

describe('forgeFor', () => {
  const two = clientsOf({
    forges: {
      gh: { type: 'github', token_env: 'GH' },
      home: { type: 'gitea', url: 'https://git.example.com/', token_env: 'GT' },
    },
    projects: {
      web: { image: 'i/web', port: 80, stages, forge: 'home', repository: 'alexei/web' },
      api: { image: 'i/api', port: 80, stages },
    },
  });

  it('uses the project forge and repository, and one client per forge', () => {
    const found = forgeFor(two, 'web');
    expect(found).toMatchObject({ forgeName: 'home', repo: { owner: 'alexei', repo: 'web' } });
    expect(found?.client.kind).toBe('gitea');
    expect(forgeFor(two, 'web')?.client).toBe(found?.client);
    expect([...two.clients.keys()]).toEqual(['gh', 'home']);
    expect(forgeFor(two, 'api', source('gitea', 'https://git.example.com'))?.client).toBe(found?.client);
  });

  it('derives the forge from the request source when the project names none', () => {
    expect(forgeFor(two, 'api', source('gitea', 'https://git.example.com'))).toMatchObject({
      forgeName: 'home',
      repo: { owner: 'from', repo: 'source' },
    });
    expect(forgeFor(two, 'api', source('github', 'https://github.com'))?.forgeName).toBe('gh');
    expect(forgeFor(two, 'api', source('gitea', 'https://other.example.com'))).toBeUndefined();
    expect(forgeFor(two, 'api')).toBeUndefined();
  });

  it('takes the only forge, and gives nothing without a token or a repository', () => {
    const one = {
      forges: { gh: { type: 'github' as const, token_env: 'GH' } },
      projects: { api: { image: 'i', port: 1, stages } },
    };
    expect(forgeFor(clientsOf(one), 'api', source('github', 'https://github.com'))?.client.kind).toBe(
      'github',
    );
    expect(forgeFor(clientsOf(one), 'api')).toBeUndefined();
    expect(forgeFor(clientsOf(one, {}), 'api', source('github', 'https://github.com'))).toBeUndefined();
  });

  it.each(['../admin', 'a/..', './x', 'a/b/c', 'a b/c', 'owner/na%2fme', '/x'])(
    'never turns the request repository %j into a forge path',
    (repository) => {
      expect(
        forgeFor(two, 'api', { ...source('gitea', 'https://git.example.com'), repository }),
      ).toBeUndefined();
      expect(() =>
        configSchema.parse({ projects: { web: { image: 'i', port: 1, stages, repository } } }),
      ).toThrow(/owner\/name/);
    },
  );

  it('names a forge the project refers to that does not exist', () => {
    const bad = clientsOf({ forges: {}, projects: { web: { image: 'i', port: 1, stages, forge: 'nope' } } });
    expect(() => forgeFor(bad, 'web')).toThrow(/forge "nope"/);
  });
});

describe('forgeApiUrl', () => {
  it.each([
    [{ type: 'github' as const }, 'https://api.github.com'],
    [{ type: 'github' as const, url: 'https://github.com' }, 'https://api.github.com'],
    [{ type: 'github' as const, url: 'https://ghe.corp.example/' }, 'https://ghe.corp.example/api/v3'],
    [{ type: 'github' as const, url: 'https://acme.ghe.com' }, 'https://api.acme.ghe.com'],
    [
      { type: 'github' as const, url: 'https://ghe.corp.example', api_url: 'https://gh-api.corp.example/' },
      'https://gh-api.corp.example',
    ],
    [{ type: 'gitea' as const, url: 'https://git.example.com' }, 'https://git.example.com/api/v1'],
    [
      { type: 'gitea' as const, url: 'https://git.example.com', api_url: 'http://gitea:3000/api/v1/' },
      'http://gitea:3000/api/v1',
    ],
  ])('%j -> %s', (forge, expected) => {
    expect(forgeApiUrl('f', forge)).toBe(expected);
  });

  it('asks for a url on a gitea forge without one', () => {
    expect(() => forgeApiUrl('home', { type: 'gitea' })).toThrow(/forges\.home .*set url/);
  });
});
