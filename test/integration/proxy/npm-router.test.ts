import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { npmSchema, type NpmConfig } from '../../../src/config/schema.js';
import type { Clock } from '../../../src/core/clock.js';
import { ConflictError, ExternalError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createNpmClient, type NpmClient } from '../../../src/proxy/npm/npm-client.js';
import { npmClientFromConfig } from '../../../src/proxy/npm/npm-client-from-config.js';
import { createNpmRouter, type OwnershipStore } from '../../../src/proxy/npm/npm-router.js';
import type { ProxyRouter, RouteTarget } from '../../../src/proxy/router.js';
import { startFakeNpm, type FakeNpm } from '../../fakes/npm/fake-npm-server.js';
import { getWithHost, startNamedBackend, startTraffic } from '../../helpers/host-traffic.js';
import { startNginx, type NginxInstance } from '../../helpers/nginx-instance.js';

type Backend = Awaited<ReturnType<typeof startNamedBackend>>;

/** Real time shifted by `offsetMs`, shared by the fake NPM and the clients; retries do not wait. */
let offsetMs = 0;
const now = () => Date.now() + offsetMs;
const clock: Clock = { now: () => new Date(now()), sleep: async () => {} };

function memoryOwnership(): OwnershipStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getState: (k) => map.get(k), setState: (k, v) => void map.set(k, v) };
}

let nginx: NginxInstance;
let npm: FakeNpm;
let blue: Backend;
let green: Backend;
const clients: NpmClient[] = [];

beforeAll(async () => {
  nginx = await startNginx();
  npm = await startFakeNpm({ nginx, now });
  blue = await startNamedBackend('blue');
  green = await startNamedBackend('green');
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled([npm?.close(), blue?.close(), green?.close()]);
  await nginx?.stop();
});

function setup(overrides: Partial<NpmConfig> = {}, clientOverrides: { timeoutMs?: number } = {}) {
  const config = npmSchema.parse({
    url: npm.url,
    email: npm.email,
    password_env: 'NPM_PASSWORD',
    forward: 'host',
    forward_host: '127.0.0.1',
    ...overrides,
  });
  const client = createNpmClient({
    url: config.url,
    email: config.email,
    password: npm.password,
    passwordSource: 'NPM_PASSWORD',
    clock,
    logger: silentLogger,
    ...clientOverrides,
  });
  clients.push(client);
  const ownership = memoryOwnership();
  const router: ProxyRouter = createNpmRouter({ npm: config, client, ownership, logger: silentLogger });
  return { router, client, ownership };
}

const target = (domain: string, backend: Backend): RouteTarget => ({
  project: 'web',
  stage: 'dev',
  domain,
  containerName: `dw-web-dev-${backend.name}`,
  port: 8080,
  hostPort: backend.port,
});

const bodyAt = async (domain: string) => (await getWithHost(nginx.port, domain)).body;

describe('NPM router against the spec-validating fake and a real nginx', () => {
  it('creates the host, then moves it under continuous traffic with no failed request', async () => {
    const { router } = setup();
    const domain = 'move.example.test';
    const first = await router.switchTo(target(domain, blue));
    expect(first).toEqual({ domain });
    expect(npm.hosts().find((h) => h.domain_names.includes(domain))).toMatchObject({
      forward_host: '127.0.0.1',
      forward_port: blue.port,
      meta: { docker_watcher: { project: 'web', stage: 'dev' }, nginx_online: true },
    });
    expect(await bodyAt(domain)).toBe('blue');

    const traffic = startTraffic(nginx.port, domain, { concurrency: 3 });
    while (traffic.report.sent < 30) await new Promise((r) => setTimeout(r, 5));
    const second = await router.switchTo(target(domain, green));
    const sentAtSwitch = traffic.report.sent;
    while (traffic.report.sent < sentAtSwitch + 60) await new Promise((r) => setTimeout(r, 5));
    const report = await traffic.stop();

    expect(report.failures).toEqual([]);
    expect(report.bodies).toContain('blue');
    expect(report.bodies.slice(-20)).toEqual(Array(20).fill('green'));
    expect(second.state).toMatchObject({ forward: { forward_port: blue.port } });

    await router.restore(second);
    expect(await bodyAt(domain)).toBe('blue');
    await router.restore(first);
    expect(npm.hosts().some((h) => h.domain_names.includes(domain))).toBe(false);
    expect((await getWithHost(nginx.port, domain)).status).toBe(404);
  });

  it('leaves a hand-made host alone with an error that says how to adopt it', async () => {
    const domain = 'manual.example.test';
    const manual = await npm.addHandMadeHost({
      domain_names: [domain],
      forward_host: '127.0.0.1',
      forward_port: blue.port,
      meta: { note: 'made by hand' },
    });
    const { router } = setup();
    const error = await router.switchTo(target(domain, green)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain(`NPM proxy host ${manual.id} for ${domain}`);
    expect((error as Error).message).toContain('global.npm.adopt_existing: true');
    expect(await router.remove(domain)).toBe(false);
    expect(await bodyAt(domain)).toBe('blue');

    const adopting = setup({ adopt_existing: true });
    const snapshot = await adopting.router.switchTo(target(domain, green));
    expect(await bodyAt(domain)).toBe('green');
    expect(npm.hosts().find((h) => h.id === manual.id)?.meta).toMatchObject({
      note: 'made by hand',
      docker_watcher: {},
    });

    await adopting.router.restore(snapshot);
    expect(await bodyAt(domain)).toBe('blue');
    const restored = npm.hosts().find((h) => h.id === manual.id)!;
    expect(restored.meta).not.toHaveProperty('docker_watcher');
    expect(restored.meta).toHaveProperty('note', 'made by hand');
  });

  it('removes only hosts it owns', async () => {
    const { router } = setup();
    await router.switchTo(target('owned.example.test', blue));
    expect(await router.remove('owned.example.test')).toBe(true);
    expect(await router.remove('owned.example.test')).toBe(false);
    expect(npm.hosts().some((h) => h.domain_names.includes('owned.example.test'))).toBe(false);
  });

  it('uses a covering certificate with certificate: auto, and the TLS options only then', async () => {
    const cert = npm.addCertificate({ domain_names: ['*.tls.example.test'] });
    const { router } = setup({ certificate: 'auto', http2: false });
    await router.switchTo(target('a.tls.example.test', blue));
    await router.switchTo(target('b.c.tls.example.test', blue));
    const byDomain = (d: string) => npm.hosts().find((h) => h.domain_names.includes(d));
    expect(byDomain('a.tls.example.test')).toMatchObject({
      certificate_id: cert.id,
      ssl_forced: true,
      http2_support: false,
    });
    expect(byDomain('b.c.tls.example.test')).toMatchObject({ certificate_id: 0, ssl_forced: false });
  });

  it('renews an expired, revoked or re-signed token without failing', async () => {
    const { router } = setup();
    const domain = 'tokens.example.test';
    await router.switchTo(target(domain, blue));
    const logins = () =>
      npm.requests.filter((r) => r.operationId === 'requestToken' && r.status === 200).length;
    const before = logins();

    npm.expireAllTokens();
    await router.switchTo(target(domain, green));
    npm.revokeAllTokens();
    await router.switchTo(target(domain, blue));
    npm.rotateSigningKey();
    await router.switchTo(target(domain, green));
    expect(logins()).toBe(before + 3);
    expect(await bodyAt(domain)).toBe('green');

    // Close to its expiry the token is refreshed with GET /api/tokens instead of a new login.
    offsetMs += 86_400_000 - 60_000;
    await router.switchTo(target(domain, blue));
    expect(npm.requests.filter((r) => r.operationId === 'refreshToken' && r.status === 200)).toHaveLength(1);
    expect(logins()).toBe(before + 3);
  });

  it('turns NPM being down, slow or failing into a clean ExternalError', async () => {
    const { router } = setup({}, { timeoutMs: 300 });
    npm.setDown(true);
    const down = await router.switchTo(target('down.example.test', blue)).catch((e: unknown) => e);
    npm.setDown(false);
    expect(down).toBeInstanceOf(ExternalError);
    expect((down as ExternalError).system).toBe('npm');
    expect((down as Error).message).toContain(`cannot reach Nginx Proxy Manager at ${npm.url}/api`);
    expect((down as Error).message).toContain('(routing down.example.test)');
    expect((down as Error).message).not.toContain(npm.password);

    npm.setDelay(600);
    const slow = await router.switchTo(target('down.example.test', blue)).catch((e: unknown) => e);
    npm.setDelay(0);
    expect((slow as Error).message).toContain('no answer within 300 ms');

    // The retries and the 500s with the default timeout: a create that reloads the real nginx
    // can take longer than 300 ms on a busy machine.
    const patient = setup().router;
    npm.failNext(2);
    await patient.switchTo(target('failing.example.test', blue));
    expect(await bodyAt('failing.example.test')).toBe('blue');

    npm.failNext(10);
    const failing = await patient.switchTo(target('failing.example.test', green)).catch((e: unknown) => e);
    npm.failNext(0);
    expect(failing).toBeInstanceOf(ExternalError);
    expect((failing as ExternalError).status).toBe(500);
    expect((failing as Error).message).toContain('Internal Error');
  });

  it('builds its client from the loaded config and the password env var', async () => {
    const npmConfig = npmSchema.parse({
      url: npm.url,
      email: npm.email,
      password_env: 'NPM_PASSWORD',
      forward: 'network',
    });
    const loaded = (secrets: Record<string, string>) =>
      ({
        config: { global: { npm: npmConfig } },
        file: '/x.yml',
        dir: '/',
        secrets,
      }) as unknown as LoadedConfig;
    expect(() => npmClientFromConfig(loaded({}), clock, silentLogger)).toThrow(
      /NPM_PASSWORD \(global.npm.password_env\) is not set/,
    );
    const store = memoryOwnership();
    const router = createNpmRouter({
      ...npmClientFromConfig(loaded({ NPM_PASSWORD: npm.password }), clock, silentLogger),
      ownership: store,
      logger: silentLogger,
    });
    await router.switchTo({
      ...target('config.example.test', blue),
      containerName: 'dw-web-dev-1-0',
      port: 3000,
    });
    const host = npm.hosts().find((h) => h.domain_names.includes('config.example.test'))!;
    expect(host).toMatchObject({
      forward_host: 'dw-web-dev-1-0',
      forward_port: 3000,
      meta: { nginx_online: true },
    });
    // nginx here cannot resolve container names: the site exists but its upstream is unreachable.
    expect((await getWithHost(nginx.port, 'config.example.test')).status).toBe(502);
    expect(store.map.get('npm.proxy-host.config.example.test')).toBe(String(host.id));
    expect(await router.remove('config.example.test')).toBe(true);
  });

  it('reports a wrong password without revealing it', async () => {
    const client = createNpmClient({
      url: npm.url,
      email: npm.email,
      password: 'wrong-secret',
      passwordSource: 'NPM_PASSWORD',
      clock,
      logger: silentLogger,
    });
    clients.push(client);
    const error = await client.listProxyHosts().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /refused the login of admin@example.com \(401: Invalid email or password\).*NPM_PASSWORD/,
    );
    expect((error as Error).message).not.toContain('wrong-secret');
  });

  it('the fake refuses what the spec forbids', async () => {
    const { client } = setup();
    const bad = await client
      .createProxyHost({
        domain_names: ['bad.example.test'],
        forward_host: 'x',
        forward_port: 80,
        forward_scheme: 'http',
        owner_user_id: 5,
      } as never)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ExternalError);
    expect((bad as ExternalError).status).toBe(400);
    expect((bad as Error).message).toContain('data must NOT have additional properties');
    const missing = await client
      .createProxyHost({ domain_names: ['bad.example.test'] })
      .catch((e: unknown) => e);
    expect((missing as Error).message).toContain("must have required property 'forward_host'");
    expect(npm.rejections).toHaveLength(2);

    const gone = await client.updateProxyHost(9999, { forward_port: 80 }).catch((e: unknown) => e);
    expect(gone).toMatchObject({ status: 404, message: expect.stringContaining('Item Not Found - 9999') });

    const anonymous = await fetch(`${npm.url}/api/nginx/proxy-hosts`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toEqual({ error: { code: 403, message: 'Permission Denied' } });
    npm.rejections.length = 0;
  });

  afterAll(() => {
    // Every request docker-watcher made was valid, and every answer of the fake matched the spec.
    expect(npm.rejections).toEqual([]);
    expect(npm.responseErrors).toEqual([]);
  });
});
