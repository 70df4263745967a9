import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../app/create-app.js';
import { configSchema } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log/logger.js';
import { clientAddress, trustedProxies } from '../../../src/net/client-address.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { API_TOKEN, appFixture, TEST_CONFIG } from '../../fakes/app-fixture.js';
import { FakeDeployer } from '../../fakes/fake-deployer.js';
import { listen } from '../../helpers/listening-app.js';

const wrong = { headers: { authorization: 'Bearer not-the-token' } };
const right = { headers: { authorization: `Bearer ${API_TOKEN}` } };

describe('wrong API tokens are throttled like dashboard logins', () => {
  it('locks the address out after 5 wrong bearer tokens, the right one included, with Retry-After', async () => {
    const { app } = appFixture();
    for (let i = 0; i < 5; i++) expect((await app.request('/api/deploys', wrong)).status).toBe(401);
    const locked = await app.request('/api/deploys', right);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect((await app.request('/api/deploys', wrong)).status).toBe(429);
  });

  it('counts bearer failures and dashboard logins together', async () => {
    const { app } = appFixture();
    for (let i = 0; i < 4; i++) await app.request('/api/projects', wrong);
    const form = new URLSearchParams({ token: 'nope', next: '/' }).toString();
    await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: form,
    });
    expect((await app.request('/api/projects', right)).status).toBe(429);
  });
});

describe('global.trusted_proxies decides when X-Forwarded-For names the client', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function served(trusted: string[]) {
    const config = configSchema.parse({
      ...TEST_CONFIG,
      global: { ...TEST_CONFIG.global, trusted_proxies: trusted },
    });
    const store = openSqliteStore(':memory:');
    const app = createApp({
      loaded: { config, file: '/t/dw.yaml', dir: '/t', secrets: { DOCKER_WATCHER_TOKEN: API_TOKEN } },
      deployer: new FakeDeployer({ store }),
      store,
      clock: { now: () => new Date(), sleep: () => Promise.resolve() },
      logger: silentLogger,
    });
    const { url, close } = await listen(app);
    closers.push(close);
    return (token: string, forwardedFor: string) =>
      fetch(`${url}/api/deploys`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
      }).then((res) => res.status);
  }

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (a guesser cannot rotate it)', async () => {
    const request = await served([]);
    for (let i = 0; i < 5; i++) expect(await request('wrong', `10.0.0.${i}`)).toBe(401);
    expect(await request('wrong', '10.9.9.9')).toBe(429);
  });

  it('behind a trusted proxy, locks out the guesser only, not everyone behind the proxy', async () => {
    const request = await served(['127.0.0.0/8', '::1']);
    for (let i = 0; i < 5; i++) expect(await request('wrong', '203.0.113.7')).toBe(401);
    expect(await request(API_TOKEN, '203.0.113.7')).toBe(429);
    expect(await request(API_TOKEN, '198.51.100.2')).toBe(200);
    // A client cannot hide behind an address it prepends itself: the proxy appends the real one.
    expect(await request('wrong', '198.51.100.2, 203.0.113.7')).toBe(429);
  });
});

describe('clientAddress', () => {
  const trusted = trustedProxies(['172.18.0.0/16', '10.0.0.5', 'fd00::/8']);

  it('is the peer unless the peer is trusted, then the rightmost untrusted hop', () => {
    expect(clientAddress('192.0.2.1', '10.1.1.1', trusted)).toBe('192.0.2.1');
    expect(clientAddress('172.18.0.3', '198.51.100.9', trusted)).toBe('198.51.100.9');
    expect(clientAddress('::ffff:172.18.0.3', '1.1.1.1, 198.51.100.9, 10.0.0.5', trusted)).toBe(
      '198.51.100.9',
    );
    expect(clientAddress('fd00::1', '2001:db8::7', trusted)).toBe('2001:db8::7');
    expect(clientAddress('172.18.0.3', 'garbage', trusted)).toBe('172.18.0.3');
    expect(clientAddress('172.18.0.3', undefined, trusted)).toBe('172.18.0.3');
    expect(clientAddress('172.18.0.3', '172.18.0.4', trusted)).toBe('172.18.0.4');
    expect(clientAddress(undefined, '1.2.3.4', trusted)).toBe('unknown');
  });

  it('refuses entries that are not an address or a range, in the config too', () => {
    expect(() => trustedProxies(['172.18.0.0/33'])).toThrow(/172\.18\.0\.0\/33/);
    expect(() => trustedProxies(['npm'])).toThrow(/not an IP address/);
    expect(() => configSchema.parse({ global: { trusted_proxies: ['npm'] } })).toThrow(/CIDR range/);
  });
});
