import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { manifestStep, nextLink } from '../../../src/registry/manifest.js';
import { projectRegistry } from '../../../src/registry/project-registry.js';
import { projectsForPush } from '../../../src/registry/push-match.js';
import { parseChallenge, parseTokenResponse, TokenCache } from '../../../src/registry/registry-auth.js';
import { registryBaseUrl } from '../../../src/registry/registry-endpoint.js';

describe('registry auth parsing', () => {
  it('reads Bearer and Basic challenges', () => {
    expect(
      parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });

  it('reads token answers with a 60 s default lifetime and caches until expiry', () => {
    expect(parseTokenResponse({ token: 't', expires_in: 300 })).toEqual({
      token: 't',
      expiresInSeconds: 300,
    });
    expect(parseTokenResponse({ access_token: 'o' })).toEqual({ token: 'o', expiresInSeconds: 60 });
    expect(parseTokenResponse({})).toBeUndefined();
    const cache = new TokenCache();
    cache.set('k', 't', 0, 60);
    expect(cache.get('k', 58_000)).toBe('t');
    expect(cache.get('k', 60_000)).toBeUndefined();
  });
});

describe('manifests and links', () => {
  it('picks linux/amd64 from an index, else the first, and the config of an image', () => {
    const index = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm64' } },
        { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    expect(manifestStep(index, undefined)).toEqual({ kind: 'index', child: 'sha256:amd' });
    expect(manifestStep({ manifests: [index.manifests[0]] }, undefined)).toEqual({
      kind: 'index',
      child: 'sha256:arm',
    });
    expect(
      manifestStep({ config: { digest: 'sha256:cfg' } }, 'application/vnd.oci.image.manifest.v1+json'),
    ).toEqual({
      kind: 'image',
      config: 'sha256:cfg',
    });
  });

  it('resolves the next link against the current URL', () => {
    const current = 'https://git.example.com/v2/a/b/tags/list?n=5';
    expect(nextLink('</v2/a/b/tags/list?n=5&last=x>; rel="next"', current)).toBe(
      'https://git.example.com/v2/a/b/tags/list?n=5&last=x',
    );
    expect(nextLink('<https://x/y>; rel="prev"', current)).toBeUndefined();
    expect(nextLink(undefined, current)).toBeUndefined();
  });

  it('uses plain HTTP for insecure registries, http URLs and loopback only', () => {
    expect(registryBaseUrl({ registry: '127.0.0.1:5000' })).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl({ registry: 'localhost:5000' })).toBe('http://localhost:5000');
    expect(registryBaseUrl({ registry: 'https://ghcr.io' })).toBe('https://ghcr.io');
    expect(registryBaseUrl({ registry: 'lan:5000', insecure: true })).toBe('http://lan:5000');
    expect(registryBaseUrl({ registry: 'git.example.com' })).toBe('https://git.example.com');
  });
});

describe('projects of the config', () => {
  const config = configSchema.parse({
    registries: {
      gitea: {
        url: 'https://git.example.com',
        username: 'ci',
        token_env: 'GITEA_TOKEN',
        poll_interval_seconds: 30,
      },
    },
    projects: {
      web: {
        image: 'git.example.com/alexei/web',
        registry: 'gitea',
        port: 80,
        stages: { dev: { tag_pattern: 'dev-*' } },
      },
      hub: { image: 'nginx', port: 80, stages: { prod: { tag_pattern: 'v*' } } },
      off: {
        image: 'git.example.com/alexei/web',
        poll: false,
        port: 80,
        stages: { dev: { tag_pattern: '*' } },
      },
    },
  });
  const loaded = { config, file: '/c.yml', dir: '/', secrets: { GITEA_TOKEN: 's3cret' } };

  it('polls the image host with the registry entry credentials and interval', () => {
    expect(projectRegistry(loaded, 'web')).toEqual({
      endpoint: {
        registry: 'https://git.example.com',
        insecure: false,
        credentials: { username: 'ci', password: 's3cret' },
        credentialsHint: 'check registries.gitea.username and registries.gitea.token_env',
      },
      repository: 'alexei/web',
      registryName: 'gitea',
      intervalMs: 30_000,
    });
    expect(projectRegistry(loaded, 'hub')).toMatchObject({
      endpoint: { registry: 'registry-1.docker.io' },
      repository: 'library/nginx',
      intervalMs: 60_000,
    });
  });

  it('matches pushes by image (with or without host) and tag, only for polled projects', () => {
    expect(
      projectsForPush(config, { forge: 'gitea', image: 'git.example.com/alexei/web:dev-3', tag: 'dev-3' }),
    ).toEqual(['web']);
    expect(projectsForPush(config, { forge: 'gitea', image: 'alexei/web' })).toEqual(['web']);
    expect(projectsForPush(config, { forge: 'gitea', image: 'alexei/web', tag: 'latest' })).toEqual([]);
    expect(projectsForPush(config, { forge: 'github', image: 'ghcr.io/alexei/web' })).toEqual([]);
  });
});
