import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createForgeClients, forgeFor } from '../../../src/forge/forge-for.js';

const config = configSchema.parse({
  forges: {
    app: { type: 'github', app_id: 9, private_key_env: 'KEY' },
    tok: { type: 'github', token_env: 'GH' },
  },
  projects: {
    a: {
      image: 'ghcr.io/acme/a',
      port: 1,
      repository: 'acme/a',
      forge: 'app',
      stages: { dev: { tag_pattern: '*' } },
    },
    b: {
      image: 'ghcr.io/acme/b',
      port: 1,
      repository: 'acme/b',
      forge: 'tok',
      stages: { dev: { tag_pattern: '*' } },
    },
  },
});
const loaded = { config, file: '/x/dw.yml', dir: '/x', secrets: { GH: 't', KEY: 'pem' } };

describe('createForgeClients with a GitHub App forge', () => {
  it('gives the App forge a client with check runs, the token forge one without', () => {
    const clients = createForgeClients(loaded, {
      apps: new Map([['app', { appId: 9, privateKey: 'pem' }]]),
    });
    expect(typeof forgeFor(clients, 'a')?.client.upsertCheckRun).toBe('function');
    expect('upsertCheckRun' in forgeFor(clients, 'b')!.client).toBe(false);
  });

  it('builds no client for an App forge whose credentials the root did not resolve', () => {
    expect(forgeFor(createForgeClients(loaded), 'a')).toBeUndefined();
  });
});
