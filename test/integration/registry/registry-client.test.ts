import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/registry-client.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { requireDocker, useTestInstance } from '../../helpers/docker-env.js';
import { tagInRegistry } from '../../helpers/registry-tags.js';
import {
  AUTH_REGISTRY,
  AUTH_REGISTRY_CREDENTIALS,
  buildTestImage,
  OPEN_REGISTRY,
  type TestImage,
} from '../../helpers/test-images.js';
import {
  startTokenRegistry,
  TOKEN_REGISTRY_LOGIN,
  type TokenRegistry,
} from '../../helpers/token-registry.js';

const docker = await requireDocker();

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe.skipIf(!docker)('registry client against real registries', () => {
  const instanceId = useTestInstance();
  const repository = `dw-registry-client/${instanceId}`;
  const clock = new FakeClock();
  let client: RegistryClient;
  let image: TestImage;
  const startedAt = Date.now();

  beforeAll(async () => {
    client = createRegistryClient({ clock, logger: silentLogger });
    image = await buildTestImage({ repository, tag: 'dev-0', behaviour: 'healthy', instanceId });
  });
  afterAll(() => client.close());

  it('lists every tag (this registry answers in one page whatever n says)', async () => {
    const extra = Array.from({ length: 12 }, (_, i) => `dev-${i + 1}`);
    for (const tag of extra) await tagInRegistry(OPEN_REGISTRY, repository, image.digest, tag);

    const tags = await client.listTags({ registry: OPEN_REGISTRY }, repository, { pageSize: 5 });

    expect(tags.sort()).toEqual(['dev-0', ...extra].sort());
  });

  it('resolves a tag to the digest docker push reported, and reads when the image was built', async () => {
    expect(await client.resolveDigest({ registry: OPEN_REGISTRY }, repository, 'dev-0')).toBe(image.digest);
    const created = await client.pushedAt({ registry: OPEN_REGISTRY }, repository, image.digest);
    expect(created?.getTime()).toBeGreaterThanOrEqual(startedAt - 60_000);
    expect(created?.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('gives no tags, not an error, for a repository nothing was pushed to yet', async () => {
    expect(await client.listTags({ registry: OPEN_REGISTRY }, `${repository}-never-pushed`)).toEqual([]);
    // A tag of it is still a clear error: there is nothing to deploy.
    await expect(
      client.resolveDigest({ registry: OPEN_REGISTRY }, `${repository}-never-pushed`, 'v1'),
    ).rejects.toThrow(/never-pushed/);
  });

  it('names the registry, repository and tag when a tag does not exist', async () => {
    const error = await rejection(client.resolveDigest({ registry: OPEN_REGISTRY }, repository, 'nope'));
    expect(error).toBeInstanceOf(ExternalError);
    expect(error.message).toMatch(
      new RegExp(`${OPEN_REGISTRY.replaceAll('.', '\\.')} answered 404.*nope.*was pushed`),
    );
  });

  describe('Basic auth (htpasswd registry)', () => {
    let locked: TestImage;
    const hint = 'check registries.locked.username and registries.locked.token_env';
    beforeAll(async () => {
      locked = await buildTestImage({
        repository,
        tag: 'v1.0.0',
        behaviour: 'healthy',
        registry: AUTH_REGISTRY,
        instanceId,
      });
    });

    it('reads tags and digests with the right credentials', async () => {
      const endpoint = {
        registry: AUTH_REGISTRY,
        credentials: AUTH_REGISTRY_CREDENTIALS,
        credentialsHint: hint,
      };
      expect(await client.listTags(endpoint, repository)).toContain('v1.0.0');
      expect(await client.resolveDigest(endpoint, repository, 'v1.0.0')).toBe(locked.digest);
    });

    it('fails clearly with wrong or missing credentials, without showing the password', async () => {
      const wrong = { username: 'dw', password: 'not-the-secret' };
      const error = await rejection(
        client.listTags({ registry: AUTH_REGISTRY, credentials: wrong, credentialsHint: hint }, repository),
      );
      expect(error).toBeInstanceOf(ExternalError);
      expect(error.message).toContain(`wrong credentials for ${AUTH_REGISTRY}`);
      expect(error.message).toContain(hint);
      expect(error.message).not.toContain('not-the-secret');

      const anonymous = await rejection(
        client.listTags({ registry: AUTH_REGISTRY, credentialsHint: hint }, repository),
      );
      expect(anonymous.message).toContain(`${AUTH_REGISTRY} wants credentials`);
    });
  });

  describe('Bearer token flow (registry behind a token server)', () => {
    let tokens: TokenRegistry;
    let pushed: TestImage;
    beforeAll(async () => {
      tokens = await startTokenRegistry({ expiresInSeconds: 300 });
      pushed = await buildTestImage({
        repository,
        tag: 'dev-7',
        behaviour: 'healthy',
        registry: tokens.host,
        instanceId,
      });
    });
    afterAll(() => tokens?.stop());

    it('gets a token with the credentials, caches it until it expires, then gets a new one', async () => {
      const bearerClient = createRegistryClient({ clock, logger: silentLogger });
      const endpoint = { registry: tokens.host, credentials: TOKEN_REGISTRY_LOGIN };
      const ours = () => tokens.requests.filter((r) => r.user === TOKEN_REGISTRY_LOGIN.username);
      try {
        expect(await bearerClient.listTags(endpoint, repository)).toEqual(['dev-7']);
        expect(await bearerClient.resolveDigest(endpoint, repository, 'dev-7')).toBe(pushed.digest);
        expect(await bearerClient.pushedAt(endpoint, repository, pushed.digest)).toBeInstanceOf(Date);
        expect(ours()).toHaveLength(1);
        expect(ours()[0]).toMatchObject({
          scope: `repository:${repository}:pull`,
          service: 'dw-token-registry',
        });

        clock.advance(301_000);
        await bearerClient.listTags(endpoint, repository);
        expect(ours()).toHaveLength(2);
      } finally {
        await bearerClient.close();
      }
    });

    it('fails clearly when the token server refuses the credentials', async () => {
      const error = await rejection(
        client.listTags(
          {
            registry: tokens.host,
            credentials: { username: 'dw', password: 'nope' },
            credentialsHint: 'check registries.tok.token_env',
          },
          repository,
        ),
      );
      expect(error).toBeInstanceOf(ExternalError);
      expect(error.message).toMatch(
        /wrong credentials for 127\.0\.0\.1:\d+ \(token request.*check registries\.tok\.token_env/,
      );
    });
  });
});
