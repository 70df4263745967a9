import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NginxSite, StagedConfig } from '../../helpers/nginx-instance.js';
import {
  newCertificateRow,
  newHostRow,
  ownerObject,
  patchHostRow,
  type FakeCertificate,
  type FakeProxyHost,
} from './fake-npm-hosts.js';
import { createTokenAuthority } from './fake-npm-tokens.js';
import { loadNpmSpec, type MatchedOperation, type NpmSpec } from './npm-spec.js';

export interface FakeNpmOptions {
  email?: string;
  password?: string;
  tokenTtlMs?: number;
  /** Time for token expiry (ms since epoch); tests that move a client's clock move this one too. */
  now?: () => number;
  /**
   * Receives the enabled hosts after each change. As NPM v2.15.1 does, the fake answers once
   * nginx accepted the files and the reload is signalled; the new upstream serves `reloadLagMs` later.
   */
  nginx?: { stage(sites: NginxSite[], lagMs: number): Promise<StagedConfig> };
  /** Range of the delay between NPM's answer and nginx serving the change; default 50-130 ms (measured). */
  reloadLagMs?: readonly [number, number];
  /** How long a Let's Encrypt request (certbot) takes before NPM answers; default 300 ms. */
  certbotMs?: number;
}

export interface FakeNpmRequest {
  method: string;
  path: string;
  status: number;
  operationId?: string;
  body?: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** NPM adds `message_i18n` to some errors (an object, e.g. the jsonwebtoken error). */
    readonly i18n?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface CertificateBody {
  provider: FakeCertificate['provider'];
  domain_names?: string[];
  meta?: Record<string, unknown>;
}

let sharedSpec: NpmSpec | undefined;

/**
 * A fake Nginx Proxy Manager on 127.0.0.1: every request is checked against NPM's OpenAPI spec
 * (path, method, auth, parameters, body) and refused with NPM's own error shape when wrong; its
 * own answers are checked against the spec too (mismatches land in `responseErrors`).
 */
export async function startFakeNpm(options: FakeNpmOptions = {}) {
  const spec = (sharedSpec ??= loadNpmSpec());
  const email = options.email ?? 'admin@example.com';
  const password = options.password ?? 'npm-test-password';
  const tokens = createTokenAuthority(options.tokenTtlMs ?? 86_400_000, options.now);
  const hosts = new Map<number, FakeProxyHost>();
  const certificates = new Map<number, FakeCertificate>();
  const requests: FakeNpmRequest[] = [];
  const rejections: string[] = [];
  const responseErrors: string[] = [];
  let nextHostId = 1;
  let nextCertId = 1;
  let down = false;
  let delayMs = 0;
  /** The methods delayMs applies to (all when undefined). */
  let delayed: readonly string[] | undefined;
  let failures = 0;
  let tokenRefusals = 0;
  let certbotMs = options.certbotMs ?? 300;
  let certbotFailures = 0;
  /** Hosts NPM took out of nginx while certbot runs for their domains. */
  const takenOut = new Set<number>();

  const [lagMin, lagMax] = options.reloadLagMs ?? [50, 130];
  const reloads = new Set<Promise<void>>();
  const sitesOf = (rows: FakeProxyHost[]): NginxSite[] =>
    rows
      .filter((h) => h.enabled && !takenOut.has(h.id))
      .map((h) => ({
        id: h.id,
        serverNames: h.domain_names,
        upstream: `${h.forward_scheme}://${h.forward_host}:${h.forward_port}`,
        ...(h.advanced_config ? { advancedConfig: h.advanced_config } : {}),
      }));
  const stage = async (rows: FakeProxyHost[]) => {
    if (!options.nginx) return;
    const staged = await options.nginx.stage(sitesOf(rows), lagMin + Math.random() * (lagMax - lagMin));
    const served = staged.served.catch(() => {}).finally(() => reloads.delete(served));
    reloads.add(served);
  };
  /**
   * As NPM's internalNginx.configure: write the host's config and test it; a config nginx
   * refuses is taken out (the host goes offline, the others keep serving) and meta records why.
   */
  const configureNginx = (host?: FakeProxyHost) => {
    const work = configure(host);
    const tracked = work.catch(() => {}).finally(() => reloads.delete(tracked));
    reloads.add(tracked);
    return work;
  };
  const configure = async (host?: FakeProxyHost) => {
    let nginxErr: string | null = null;
    try {
      await stage([...hosts.values()]);
    } catch (error) {
      nginxErr = (error as Error).message;
      await stage([...hosts.values()].filter((h) => h !== host)).catch(() => {});
    }
    if (host) host.meta = { ...host.meta, nginx_online: nginxErr === null, nginx_err: nginxErr };
  };

  const hostById = (raw: string | undefined) => {
    const host = hosts.get(Number(raw));
    if (!host) throw new HttpError(404, `Item Not Found - ${raw}`);
    return host;
  };

  const assertDomainsFree = (domains: string[], exceptId?: number) => {
    for (const domain of domains) {
      const taken = [...hosts.values()].some(
        (h) => h.id !== exceptId && h.domain_names.some((d) => d.toLowerCase() === domain.toLowerCase()),
      );
      if (taken) throw new HttpError(400, `${domain} is already in use`);
    }
  };

  const expanded = (host: FakeProxyHost) => ({
    ...host,
    owner: ownerObject(email),
    certificate: certificates.get(host.certificate_id) ?? null,
    access_list: null,
  });

  const handle = async (op: MatchedOperation, body: unknown): Promise<[number, unknown]> => {
    const data = body as Partial<FakeProxyHost> & { identity?: string; secret?: string };
    switch (op.operationId) {
      case 'requestToken':
        if (data.identity !== email || data.secret !== password)
          throw new HttpError(400, 'Invalid email or password');
        return [200, tokens.issue(1)];
      case 'refreshToken':
        return [200, tokens.issue(1)];
      case 'getProxyHosts':
        return [
          200,
          [...hosts.values()].sort((a, b) => a.domain_names[0]!.localeCompare(b.domain_names[0]!)),
        ];
      case 'getProxyHost':
        return [200, hostById(op.params.hostID)];
      case 'createProxyHost': {
        assertDomainsFree(data.domain_names!);
        const host = newHostRow(nextHostId++, data);
        hosts.set(host.id, host);
        // NPM reads the row back before configuring nginx: the answer's meta is exactly as sent.
        const answer = expanded({ ...host, meta: { ...host.meta } });
        await configureNginx(host);
        return [201, answer];
      }
      case 'updateProxyHost': {
        const row = hostById(op.params.hostID);
        if (data.domain_names) assertDomainsFree(data.domain_names, row.id);
        const host = patchHostRow(row, data);
        hosts.set(host.id, host);
        await configureNginx(host);
        return [200, expanded(host)];
      }
      case 'deleteProxyHost':
        hosts.delete(hostById(op.params.hostID).id);
        await configureNginx();
        return [200, true];
      case 'getCertificates':
        return [200, [...certificates.values()]];
      case 'getCertificate': {
        const cert = certificates.get(Number(op.params.certID));
        if (!cert) throw new HttpError(404, `Item Not Found - ${op.params.certID}`);
        return [200, cert];
      }
      case 'createCertificate':
        return createCertificate(body as CertificateBody);
      default:
        throw new HttpError(501, `the fake NPM does not implement ${op.operationId}`);
    }
  };

  /**
   * Token checks as NPM v2.15.1 answers them (measured, never 401/403): no token -> 404 on
   * GET /nginx/proxy-hosts, 500 elsewhere; a malformed token or one signed by keys NPM no longer
   * has -> 500 "Internal Error"; an expired one -> 400 "Token has expired". Revoked tokens answer
   * 403, as NPM versions with token revocation do.
   */
  const authorize = (req: IncomingMessage, op: MatchedOperation, path: string) => {
    if (!op.needsAuth) return;
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) {
      if (op.operationId === 'getProxyHosts') throw new HttpError(404, `Not Found - ${path}`);
      throw new HttpError(500, 'Internal Error');
    }
    if (tokenRefusals > 0) {
      tokenRefusals--;
      throw new HttpError(500, 'Internal Error');
    }
    const result = tokens.verify(token);
    if (!('error' in result)) return;
    if (result.error === 'Token has expired')
      throw new HttpError(400, result.error, { name: 'TokenExpiredError', message: 'jwt expired' });
    if (result.error === 'invalid token') throw new HttpError(403, 'Permission Denied');
    throw new HttpError(500, 'Internal Error');
  };

  /**
   * As NPM v2.15.1's internalCertificate.create: the row is inserted first (listed at once, its
   * expires_on the time of the request), the hosts using the domains are taken out of nginx
   * while certbot runs, and the answer comes when certbot is done: 201 with the certificate, or
   * 500 "Internal Error" with the row left behind (NPM does not delete it).
   */
  const createCertificate = async (data: CertificateBody): Promise<[number, unknown]> => {
    const letsencrypt = data.provider === 'letsencrypt';
    const domains = data.domain_names ?? [];
    const cert = newCertificateRow(nextCertId++, {
      provider: data.provider,
      domain_names: [...domains].sort(),
      ...(letsencrypt ? { nice_name: domains.join(', ') } : {}),
      expires_on: new Date().toISOString(),
      ...(data.meta ? { meta: data.meta } : {}),
    });
    certificates.set(cert.id, cert);
    if (!letsencrypt) return [201, cert];
    // As internalHost.getHostsWithDomains then disableInUseHosts: the hosts that exist now. A
    // host created while certbot runs is not taken out (and wins over NPM's temporary
    // letsencrypt request config, which nginx includes after the proxy hosts).
    const lower = new Set(domains.map((d) => d.toLowerCase()));
    const inUse = [...hosts.values()].filter((h) => h.domain_names.some((d) => lower.has(d.toLowerCase())));
    for (const h of inUse) takenOut.add(h.id);
    if (inUse.length > 0) await configureNginx();
    let failed = certbotFailures > 0;
    if (failed) certbotFailures--;
    if (data.meta?.dns_challenge === true && !data.meta.dns_provider_credentials) failed = true;
    await new Promise((r) => setTimeout(r, certbotMs));
    for (const h of inUse) takenOut.delete(h.id);
    if (inUse.length > 0) await configureNginx();
    if (failed) throw new HttpError(500, 'Internal Error');
    const to = Date.now() + 90 * 86_400_000;
    cert.expires_on = new Date(to).toISOString();
    cert.meta = {
      ...cert.meta,
      letsencrypt_certificate: {
        cn: domains[0],
        issuer: "C = US, O = Let's Encrypt, CN = E5",
        dates: { from: Math.floor(Date.now() / 1000), to: Math.floor(to / 1000) },
      },
    };
    return [201, cert];
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://npm');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    let status: number;
    let answer: unknown;
    let op: MatchedOperation | undefined;
    let body: unknown;
    try {
      if (delayMs > 0 && (delayed === undefined || delayed.includes(method)))
        await new Promise((r) => setTimeout(r, delayMs));
      if (failures > 0) {
        failures--;
        throw new HttpError(500, 'Internal Error');
      }
      op = url.pathname.startsWith('/api/') ? spec.match(method, url.pathname.slice(4)) : undefined;
      if (!op) throw new HttpError(404, 'Not Found');
      if (text && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        throw new HttpError(400, `content-type must be application/json, got ${req.headers['content-type']}`);
      }
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        throw new HttpError(400, 'Unexpected token in JSON');
      }
      authorize(req, op, url.pathname.slice(4));
      const invalid = op.checkRequest(url.searchParams, body);
      if (invalid) {
        rejections.push(`${method} ${url.pathname}: ${invalid}`);
        throw new HttpError(400, invalid);
      }
      [status, answer] = await handle(op, body);
      const wrong = op.checkResponse(status, answer);
      if (wrong) responseErrors.push(`${method} ${url.pathname}: ${wrong}`);
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      const i18n = error instanceof HttpError && error.i18n ? { message_i18n: error.i18n } : {};
      answer = { error: { code: status, message, ...i18n } };
    }
    requests.push({
      method,
      path: url.pathname,
      status,
      ...(op ? { operationId: op.operationId } : {}),
      ...(body === undefined ? {} : { body }),
    });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
  };

  const server = createServer((req, res) => {
    if (down) return void req.socket.destroy();
    serve(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    email,
    password,
    /** Every request answered, in order. */
    requests,
    /** Requests refused because they broke the spec. */
    rejections,
    /** Answers of the fake that do not match the spec (a bug in the fake). */
    responseErrors,
    hosts: () => [...hosts.values()],
    /** Adds a host as a person would in NPM's UI (not through the API under test). */
    async addHandMadeHost(data: Partial<FakeProxyHost> & { domain_names: string[] }) {
      assertDomainsFree(data.domain_names);
      const host = newHostRow(nextHostId++, data);
      hosts.set(host.id, host);
      await configureNginx(host);
      await this.settled();
      return host;
    },
    /** Deletes a host as a person would in NPM's UI. */
    async removeHandMadeHost(id: number) {
      hosts.delete(id);
      await configureNginx();
      await this.settled();
    },
    addCertificate(data: { nice_name?: string; domain_names: string[]; expires_on?: string }) {
      const cert = newCertificateRow(nextCertId++, data);
      certificates.set(cert.id, cert);
      return cert;
    },
    /**
     * NPM's data volume was re-created: no hosts or certificates, ids from 1 again, new JWT keys
     * (keys.json is gone), the same login.
     */
    async resetDatabase() {
      hosts.clear();
      certificates.clear();
      nextHostId = 1;
      nextCertId = 1;
      tokens.rotateKey();
      await configureNginx();
    },
    /** Resolves once every reload NPM signalled is served by nginx. */
    async settled() {
      while (reloads.size > 0) await Promise.all([...reloads]);
    },
    expireAllTokens: () => tokens.expireAll(),
    revokeAllTokens: () => tokens.revokeAll(),
    rotateSigningKey: () => tokens.rotateKey(),
    setDown: (value: boolean) => void (down = value),
    setDelay: (ms: number, methods?: readonly string[]) => {
      delayMs = ms;
      delayed = methods;
    },
    failNext: (count: number) => void (failures = count),
    certificates: () => [...certificates.values()],
    /** How long the next Let's Encrypt requests take (certbot), in ms. */
    setCertbotMs: (ms: number) => void (certbotMs = ms),
    /** The next `count` Let's Encrypt requests fail as certbot does (500 "Internal Error"). */
    failCertbotNext: (count: number) => void (certbotFailures = count),
    /** The next `count` authenticated requests are refused as with unknown keys (500 "Internal Error"). */
    refuseTokensNext: (count: number) => void (tokenRefusals = count),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeNpm = Awaited<ReturnType<typeof startFakeNpm>>;
