import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { npmSchema, type NpmConfig } from '../../../src/config/schema.js';
import type { Clock } from '../../../src/core/clock.js';
import { ConflictError, ExternalError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createNpmClient, type NpmClient } from '../../../src/proxy/npm/npm-client.js';
import { npmClientFromConfig } from '../../../src/proxy/npm/npm-client-from-config.js';
import { createNpmRouter } from '../../../src/proxy/npm/npm-router.js';
import { RouteWriteError, type ProxyRouter, type RouteTarget } from '../../../src/proxy/router.js';
import { startFakeNpm, type FakeNpm } from '../../fakes/npm/fake-npm-server.js';
import { getWithHost, startNamedBackend, startTraffic } from '../../helpers/host-traffic.js';
import { startNginx, type NginxInstance } from '../../helpers/nginx-instance.js';

type Backend = Awaited<ReturnType<typeof startNamedBackend>>;

/** Real time shifted by `offsetMs`, shared by the fake NPM and the clients; retries do not wait. */
let offsetMs = 0;
const now = () => Date.now() + offsetMs;
const clock: Clock = { now: () => new Date(now()), sleep: async () => {} };

const INSTANCE = 'router-test-instance';

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
  const router: ProxyRouter = createNpmRouter({
    npm: config,
    client,
    instanceId: INSTANCE,
    logger: silentLogger,
    clock,
  });
  return { router, client };
}

const target = (domain: string, backend: Backend): RouteTarget => ({
  project: 'web',
  stage: 'dev',
  domain,
  containerName: `dw-web-dev-${backend.name}`,
  port: 8080,
  hostPort: backend.port,
});

/** What nginx serves for a domain once every reload NPM signalled has taken effect. */
const bodyAt = async (domain: string) => {
  await npm.settled();
  return (await getWithHost(nginx.port, domain)).body;
};

describe('NPM router against the spec-validating fake and a real nginx', () => {
  it('creates the host, then moves it under continuous traffic with no failed request', async () => {
    const { router } = setup();
    const domain = 'move.example.test';
    const first = await router.switchTo(target(domain, blue));
    expect(first).toEqual({ domain });
    expect(npm.hosts().find((h) => h.domain_names.includes(domain))).toMatchObject({
      forward_host: '127.0.0.1',
      forward_port: blue.port,
      meta: {
        docker_watcher: { project: 'web', stage: 'dev', instance: INSTANCE, domain },
        nginx_online: true,
      },
    });
    expect(await bodyAt(domain)).toBe('blue');

    const traffic = startTraffic(nginx.port, domain, { concurrency: 3 });
    while (traffic.report.sent < 30) await new Promise((r) => setTimeout(r, 5));
    const second = await router.switchTo(target(domain, green));
    await npm.settled();
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
    await npm.settled();
    expect(await getWithHost(nginx.port, domain)).toMatchObject({
      status: 200,
      body: expect.stringContaining('Default Site'),
    });
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

  it('answers token problems as NPM v2.15.1 does: 500 unknown keys, 400 expired with message_i18n', async () => {
    const login = await fetch(`${npm.url}/api/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: npm.email, secret: npm.password }),
    });
    const { token } = (await login.json()) as { token: string };
    const list = (bearer: string) =>
      fetch(`${npm.url}/api/nginx/proxy-hosts`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await list('not-a-jwt')).status).toBe(500);
    npm.expireAllTokens();
    const expired = await list(token);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toEqual({
      error: { code: 400, message: 'Token has expired', message_i18n: expect.any(Object) },
    });
    npm.rotateSigningKey();
    expect(await (await list(token)).json()).toEqual({ error: { code: 500, message: 'Internal Error' } });
  });

  it('logs in again once on a refused token and retries once; a second refusal names what to check', async () => {
    const { client } = setup();
    await client.listProxyHosts();
    const logins = () => npm.requests.filter((r) => r.operationId === 'requestToken').length;
    const before = logins();
    npm.refuseTokensNext(1);
    await client.listProxyHosts();
    expect(logins()).toBe(before + 1);

    npm.refuseTokensNext(2);
    const error = await client.listProxyHosts().catch((e: unknown) => e);
    npm.refuseTokensNext(0);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(
      /Nginx Proxy Manager refused the token it had just issued to admin@example.com \(GET \/api\/nginx\/proxy-hosts: 500 Internal Error\); check NPM's logs, that global.npm.url points at NPM itself/,
    );
    // One re-login, one retry: no further attempts behind it.
    expect(logins()).toBe(before + 2);
  });

  it('answers before nginx serves the change; confirm waits until the proxy reaches the new target', async () => {
    const probe = setup({ probe_url: `http://127.0.0.1:${nginx.port}` });
    const plain = setup();
    const domain = 'lag.example.test';
    await probe.router.switchTo(target(domain, blue));
    // Right after NPM's 201 nginx still serves its default site for the new host.
    expect((await getWithHost(nginx.port, domain)).body).toContain('Default Site');
    const created = npm.requests.findLast((r) => r.operationId === 'createProxyHost')!;
    expect(created.status).toBe(201);
    expect(await probe.router.confirm(target(domain, blue))).toMatch(
      /^live through the proxy after \d+ ms \(http:\/\/127.0.0.1:\d+\/.well-known\/docker-watcher\/route for lag.example.test reached dw-web-dev-blue\)$/,
    );
    expect((await getWithHost(nginx.port, domain)).body).toBe('blue');

    await probe.router.switchTo(target(domain, green));
    expect((await getWithHost(nginx.port, domain)).body).toBe('blue');
    await probe.router.confirm(target(domain, green));
    expect((await getWithHost(nginx.port, domain)).body).toBe('green');

    // Without probe_url only NPM's own report is awaited, and the log says what is not checked.
    expect(await plain.router.confirm(target(domain, green))).toMatch(
      /NPM reports proxy host \d+ online after \d+ ms, then waited 500 ms for nginx's reload; not checked through the proxy \(set global.npm.probe_url\)/,
    );
    await probe.router.remove(domain);
  });

  it('a probe that never reaches the new container fails confirm within live_timeout_seconds', async () => {
    const { router } = setup({ probe_url: `http://127.0.0.1:${nginx.port}`, live_timeout_seconds: 0.5 });
    const domain = 'unreachable.example.test';
    await router.switchTo({ ...target(domain, blue), hostPort: 9 });
    await npm.settled();
    const started = Date.now();
    const error = await router.confirm({ ...target(domain, blue), hostPort: 9 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((error as Error).message).toMatch(
      /the proxy did not serve dw-web-dev-blue for unreachable.example.test within 0.5 s \(global.npm.live_timeout_seconds\): answer 502 naming dw-web-dev-blue/,
    );
    await router.remove(domain);
  });

  it('keeps meta exactly as sent on create; a broken advanced config gets 201 and later shows nginx_online: false', async () => {
    const { client, router } = setup({ adopt_existing: true, probe_url: `http://127.0.0.1:${nginx.port}` });
    const created = await client.createProxyHost({
      domain_names: ['broken.example.test'],
      forward_scheme: 'http',
      forward_host: '127.0.0.1',
      forward_port: blue.port,
      meta: { note: 'as sent' },
      advanced_config: 'this is not nginx;',
    });
    expect(created.meta).toEqual({ note: 'as sent' });
    const later = await client.getProxyHost(created.id);
    expect(later.meta).toMatchObject({ note: 'as sent', nginx_online: false });
    expect(String(later.meta.nginx_err)).toContain('nginx rejected the configuration');
    // A switch onto a host whose config nginx refuses fails at confirm, naming NPM's error.
    await router.switchTo(target('broken.example.test', green));
    const error = await router.confirm(target('broken.example.test', green)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /NPM could not load the nginx configuration of proxy host \d+ for broken.example.test: nginx rejected/,
    );
    await client.deleteProxyHost(created.id);
  });

  it('writes nothing when the host already forwards to the target (each write reloads nginx)', async () => {
    const { router } = setup();
    const domain = 'steady.example.test';
    const puts = () => npm.requests.filter((r) => r.operationId === 'updateProxyHost').length;
    await router.switchTo(target(domain, blue));
    const before = puts();
    const snapshot = await router.switchTo(target(domain, blue));
    await router.switchTo(target(domain, blue));
    await router.restore(snapshot);
    expect(puts()).toBe(before);
    await router.switchTo(target(domain, green));
    expect(puts()).toBe(before + 1);
    await router.remove(domain);
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

  it('a write whose answer never came rejects with how to put the route back: NPM may have stored it', async () => {
    const domain = 'lost-answer.example.test';
    const { router } = setup();
    await router.switchTo(target(domain, blue));
    const slow = setup({}, { timeoutMs: 300 }).router;
    const puts = () => npm.requests.filter((r) => r.method === 'PUT').length;
    const putsBefore = puts();
    npm.setDelay(600, ['PUT']);
    const lost = await slow.switchTo(target(domain, green)).catch((e: unknown) => e);
    npm.setDelay(0);
    expect(lost).toBeInstanceOf(RouteWriteError);
    expect((lost as Error).message).toContain('no answer within 300 ms');
    expect((lost as Error).message).toContain(`routing ${domain}`);
    // NPM stored the change after all; the snapshot in the error puts blue back.
    await until(async () => (await bodyAt(domain)) === 'green');
    await new Promise((r) => setTimeout(r, 700)); // time for a retry to land, if one was sent
    expect(puts(), 'a write NPM may be carrying out is not sent again').toBe(putsBefore + 1);
    await router.restore((lost as RouteWriteError).before);
    await until(async () => (await bodyAt(domain)) === 'blue');
    await router.remove(domain);
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
    const router = createNpmRouter({
      ...npmClientFromConfig(loaded({ NPM_PASSWORD: npm.password }), clock, silentLogger),
      instanceId: INSTANCE,
      logger: silentLogger,
      clock,
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
    await npm.settled();
    expect((await getWithHost(nginx.port, 'config.example.test')).status).toBe(502);
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
      /refused the login of admin@example.com \(400: Invalid email or password\).*NPM_PASSWORD/,
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

    // Real NPM v2.15.1 without a token: 404 on this list, 500 on the others.
    const anonymous = await fetch(`${npm.url}/api/nginx/proxy-hosts`);
    expect(anonymous.status).toBe(404);
    expect(await anonymous.json()).toEqual({
      error: { code: 404, message: 'Not Found - /nginx/proxy-hosts' },
    });
    for (const [method, path] of [
      ['POST', '/nginx/proxy-hosts'],
      ['GET', '/users/me'],
      ['GET', '/tokens'],
    ] as const) {
      const answer = await fetch(`${npm.url}/api${path}`, {
        method,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      expect([path, answer.status, await answer.json()]).toEqual([
        path,
        500,
        { error: { code: 500, message: 'Internal Error' } },
      ]);
    }
    npm.rejections.length = 0;
  });

  const waitForCertificate = async (router: ProxyRouter, domain: string, state: string) => {
    const deadline = Date.now() + 10_000;
    while (router.certificateStatus?.(domain)?.state !== state) {
      if (Date.now() > deadline) throw new Error(`certificate of ${domain} never ${state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return router.certificateStatus(domain)!;
  };

  it('certificate: request asks NPM for one before creating a new host; the deploy never waits for certbot', async () => {
    const { router } = setup({ certificate: 'request', probe_url: `http://127.0.0.1:${nginx.port}` });
    const domain = 'cert-new.example.test';
    npm.setCertbotMs(4_000);
    try {
      const started = Date.now();
      await router.switchTo(target(domain, blue));
      const line = await router.confirm(target(domain, blue));
      const tookMs = Date.now() - started;
      expect(tookMs, 'switch and confirm do not wait for certbot').toBeLessThan(3_000);
      expect(line).toMatch(
        /^live through the proxy .*; certificate: none covers cert-new\.example\.test; asked NPM for a Let's Encrypt certificate in the background \(HTTP until NPM has it\)$/,
      );
      expect(router.certificateStatus?.(domain)).toMatchObject({ state: 'requesting', attempts: 1 });
      // NPM lists the request's row at once (expired until certbot is done).
      expect(npm.certificates().filter((c) => c.domain_names.includes(domain))).toHaveLength(1);
      // The request came before the host: NPM did not take it out of nginx while certbot runs.
      const traffic = startTraffic(nginx.port, domain, { concurrency: 2 });
      const issued = await waitForCertificate(router, domain, 'issued');
      const report = await traffic.stop();
      expect(report.failures).toEqual([]);
      expect(new Set(report.bodies)).toEqual(new Set(['blue']));
      expect(issued).toMatchObject({ state: 'issued', attempts: 1 });
      const request = npm.requests.find((r) => r.operationId === 'createCertificate');
      expect(request?.body).toEqual({
        provider: 'letsencrypt',
        domain_names: [domain],
        meta: { dns_challenge: false },
      });
      const deadline = Date.now() + 5_000;
      const host = () => npm.hosts().find((h) => h.domain_names.includes(domain))!;
      while (host().certificate_id === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(host()).toMatchObject({
        certificate_id: issued.state === 'issued' ? issued.certificateId : -1,
        ssl_forced: true,
        http2_support: true,
        forward_port: blue.port,
      });
      expect(await bodyAt(domain)).toBe('blue');
      // Steady again: the next switch to the same target finds the certificate and writes nothing.
      const writes = npm.requests.filter((r) => r.method === 'PUT').length;
      await router.switchTo(target(domain, blue));
      expect(npm.requests.filter((r) => r.method === 'PUT').length).toBe(writes);
    } finally {
      npm.setCertbotMs(300);
    }
  });

  it('a failed certificate request leaves the site on HTTP and is sent again after certificate_retry_seconds', async () => {
    const { router } = setup({
      certificate: 'request',
      certificate_retry_seconds: 3,
      probe_url: `http://127.0.0.1:${nginx.port}`,
    });
    const domain = 'cert-fail.example.test';
    npm.failCertbotNext(1);
    npm.setCertbotMs(100);
    const asked = () =>
      npm.requests.filter(
        (r) =>
          r.operationId === 'createCertificate' &&
          (r.body as { domain_names: string[] }).domain_names.includes(domain),
      );
    try {
      await router.switchTo(target(domain, green));
      await router.confirm(target(domain, green));
      const failed = await waitForCertificate(router, domain, 'failed');
      expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
      expect(failed.state === 'failed' && failed.error).toMatch(
        /NPM could not get a Let's Encrypt certificate for cert-fail\.example\.test \(500 Internal Error\); NPM's log has certbot's reason; check that cert-fail\.example\.test resolves to NPM and reaches its port 80 from the internet/,
      );
      // NPM leaves the failed request's row behind; it is expired, so nothing uses it.
      expect(npm.certificates().filter((c) => c.domain_names.includes(domain))).toHaveLength(1);
      expect(await bodyAt(domain)).toBe('green');
      // A certbot failure is NPM's 500 "Internal Error", as a refused token is: it is not
      // retried with a re-login (that would run certbot again); the retry comes after the pause.
      expect(asked()).toHaveLength(1);
      const issued = await waitForCertificate(router, domain, 'issued');
      expect(issued).toMatchObject({ state: 'issued', attempts: 2 });
      expect(asked()).toHaveLength(2);
      const deadline = Date.now() + 5_000;
      const host = () => npm.hosts().find((h) => h.domain_names.includes(domain))!;
      while (host().certificate_id === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(host().certificate_id).toBe(issued.state === 'issued' ? issued.certificateId : -1);
      expect(await bodyAt(domain)).toBe('green');
    } finally {
      npm.setCertbotMs(300);
      npm.failCertbotNext(0);
    }
  });

  afterAll(() => {
    // Every request docker-watcher made was valid, and every answer of the fake matched the spec.
    expect(npm.rejections).toEqual([]);
    expect(npm.responseErrors).toEqual([]);
  });
});

describe('after NPM lost its database (ids restart at 1, new signing keys)', () => {
  it('never changes a hand-made host that got the remembered id', async () => {
    const ownNginx = await startNginx();
    const fresh = await startFakeNpm({ nginx: ownNginx, now });
    const client = createNpmClient({
      url: fresh.url,
      email: fresh.email,
      password: fresh.password,
      clock,
      logger: silentLogger,
    });
    try {
      const config = npmSchema.parse({
        url: fresh.url,
        email: fresh.email,
        password_env: 'NPM_PASSWORD',
        forward: 'host',
        forward_host: '127.0.0.1',
      });
      const router = createNpmRouter({
        npm: config,
        client,
        instanceId: INSTANCE,
        logger: silentLogger,
        clock,
      });
      const domain = 'reset.example.test';
      await router.switchTo(target(domain, blue));
      const snapshot = await router.switchTo(target(domain, green));
      const remembered = fresh.hosts()[0]!.id;

      await fresh.resetDatabase();
      const manual = await fresh.addHandMadeHost({
        domain_names: [domain],
        forward_host: '127.0.0.1',
        forward_port: blue.port,
        meta: { note: 'made by hand after the reset' },
      });
      expect(manual.id).toBe(remembered);

      const switching = await router.switchTo(target(domain, green)).catch((e: unknown) => e);
      expect(switching).toBeInstanceOf(ConflictError);
      const restoring = await router.restore(snapshot).catch((e: unknown) => e);
      expect(restoring).toBeInstanceOf(ConflictError);
      expect((restoring as Error).message).toContain(
        `NPM proxy host ${manual.id} for ${domain} no longer carries`,
      );
      expect(await router.remove(domain)).toBe(false);
      expect(fresh.hosts()).toEqual([manual]);
      expect(
        fresh.requests.filter((r) => r.method !== 'GET' && r.path.includes('proxy-hosts/')),
      ).toHaveLength(1);
    } finally {
      await client.close();
      await fresh.close();
      await ownNginx.stop();
    }
  });
});

async function until(done: () => Promise<boolean>, boundMs = 5_000): Promise<void> {
  for (const started = Date.now(); !(await done());) {
    if (Date.now() - started > boundMs) throw new Error(`condition not reached within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
