import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { resolveRequestSecrets } from '../../../src/config/request-secrets.js';

const text = `
global:
  domain: example.test
forges:
  gh:
    type: github
    token_env: GH_TOKEN
    webhook_secret_env: GH_HOOK
  gh2:
    type: github
    token_env: GH_TOKEN
    webhook_secret_env: GH2_HOOK
  tea:
    type: gitea
    url: https://git.example.test
    token_env: TEA_TOKEN
projects:
  web:
    image: registry.example.test/web
    port: 8080
    secret_env: WEB_SECRET
    stages:
      dev: { tag_pattern: "dev-*" }
  api:
    image: registry.example.test/api
    port: 8080
    stages:
      dev: { tag_pattern: "dev-*" }
`;

const env = {
  DOCKER_WATCHER_SECRET: 'global-secret',
  DOCKER_WATCHER_TOKEN: 'api-token',
  WEB_SECRET: 'web-secret',
  GH_TOKEN: 't',
  GH_HOOK: 'hook-secret',
  GH2_HOOK: '',
};

describe('the secrets requests are checked against, resolved once from config and environment', () => {
  const secrets = resolveRequestSecrets(loadConfig('/cfg/docker-watcher.yaml', env, { text }));

  it('signs a project with its own secret, every other name with the global one', () => {
    expect(secrets.signing('web')).toEqual({ value: 'web-secret', env: 'WEB_SECRET' });
    expect(secrets.signing('api')).toEqual({ value: 'global-secret', env: 'DOCKER_WATCHER_SECRET' });
    // Names that are not projects (an inherited property name included) get the global secret.
    for (const name of ['nope', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(secrets.signing(name)).toEqual({ value: 'global-secret', env: 'DOCKER_WATCHER_SECRET' });
    }
  });

  it('names the API token variable, with no value when it is empty', () => {
    expect(secrets.apiToken).toEqual({ value: 'api-token', env: 'DOCKER_WATCHER_TOKEN' });
    const empty = resolveRequestSecrets(
      loadConfig('/cfg/x.yaml', { ...env, DOCKER_WATCHER_TOKEN: '' }, { text }),
    );
    expect(empty.apiToken).toEqual({ env: 'DOCKER_WATCHER_TOKEN' });
  });

  it('lists the forges whose webhooks can be verified, and the settings to set for the others', () => {
    expect(secrets.webhooks('github')).toEqual({
      forges: [{ name: 'gh', kind: 'github', secret: 'hook-secret' }],
      missing: ['forges.gh2.webhook_secret_env (GH2_HOOK)'],
    });
    expect(secrets.webhooks('gitea')).toEqual({ forges: [], missing: ['forges.tea.webhook_secret_env'] });
  });
});
