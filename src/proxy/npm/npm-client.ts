import type { Clock } from '../../core/clock.js';
import { ExternalError } from '../../core/errors.js';
import { findCoveringCertificate, findHostForDomain } from './npm-matching.js';
import {
  createNpmSession,
  npmErrorMessage,
  NpmNoAnswerError,
  NpmTokenRefusedError,
  type NpmSession,
  type NpmSessionOptions,
} from './npm-session.js';
import type { NpmCertificate, NpmProxyHost, NpmProxyHostInput } from './npm-types.js';

/** The Nginx Proxy Manager operations docker-watcher needs. */
export interface NpmClient {
  listProxyHosts(signal?: AbortSignal): Promise<NpmProxyHost[]>;
  /** One host as NPM has it now (with nginx_online/nginx_err in meta once NPM configured it). */
  getProxyHost(id: number, signal?: AbortSignal): Promise<NpmProxyHost>;
  /** The proxy host serving `domain`, if any. */
  findProxyHost(domain: string, signal?: AbortSignal): Promise<NpmProxyHost | undefined>;
  createProxyHost(body: NpmProxyHostInput, signal?: AbortSignal): Promise<NpmProxyHost>;
  updateProxyHost(id: number, body: NpmProxyHostInput, signal?: AbortSignal): Promise<NpmProxyHost>;
  /** Deletes a host; a host that is already gone counts as deleted. */
  deleteProxyHost(id: number, signal?: AbortSignal): Promise<void>;
  listCertificates(signal?: AbortSignal): Promise<NpmCertificate[]>;
  /** A valid certificate covering `domain` (exact name preferred over a wildcard). */
  findCertificate(domain: string, signal?: AbortSignal): Promise<NpmCertificate | undefined>;
  /**
   * Asks NPM for a Let's Encrypt certificate for one domain. NPM answers only once certbot is
   * done (seconds to minutes); a failed certbot run is 500 "Internal Error".
   */
  requestCertificate(request: NpmCertificateRequest, signal?: AbortSignal): Promise<NpmCertificate>;
  close(): Promise<void>;
}

/** What a Let's Encrypt certificate request names: the domain, and the DNS challenge if any. */
export interface NpmCertificateRequest {
  domain: string;
  dns?: { provider: string; credentials: string; propagationSeconds?: number };
}

/** How long a certificate request may take: NPM answers when certbot is done. */
export const CERTIFICATE_REQUEST_TIMEOUT_MS = 240_000;

export interface NpmClientOptions extends NpmSessionOptions {
  /** Pause before retrying an idempotent request that failed with 5xx; default 250 ms. */
  retryDelayMs?: number;
  /** Extra tries of idempotent requests (GET, PUT, DELETE) after a 5xx or network failure; default 2. */
  retries?: number;
}

/** Creates an NPM client over undici; `session` is for tests that want to share one. */
export function createNpmClient(
  options: NpmClientOptions,
  session: NpmSession = createNpmSession(options),
): NpmClient {
  const clock: Clock = options.clock;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 250;

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    what: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<unknown> => {
    const tries = method === 'POST' ? 1 : 1 + retries;
    for (let attempt = 1; ; attempt++) {
      let failure: ExternalError;
      try {
        const res = await session.send(method, path, body, signal);
        if (res.status >= 200 && res.status < 300) return res.body;
        failure = new ExternalError(
          'npm',
          `Nginx Proxy Manager refused to ${what} (${method} /api${path}: ${res.status} ${npmErrorMessage(res.body) ?? 'no message'})`,
          { status: res.status },
        );
        if (res.status < 500) throw failure;
      } catch (error) {
        if (!(error instanceof ExternalError) || error instanceof NpmTokenRefusedError) throw error;
        // A write NPM may still be carrying out is not sent again: each one reloads nginx, and
        // the caller treats its outcome as unknown (the switch is undone, the route checked).
        if (error instanceof NpmNoAnswerError && method !== 'GET') throw error;
        if (error.status !== undefined && error.status < 500) throw error;
        failure =
          error.status === undefined
            ? new ExternalError('npm', `${error.message} while trying to ${what}`, { cause: error })
            : error;
      }
      if (attempt >= tries) throw failure;
      options.logger.warn('NPM request failed; retrying', { method, path, attempt, error: failure.message });
      await clock.sleep(retryDelayMs * attempt, signal);
    }
  };

  const listProxyHosts = async (signal?: AbortSignal) =>
    (await call('GET', '/nginx/proxy-hosts', 'list proxy hosts', undefined, signal)) as NpmProxyHost[];
  const listCertificates = async (signal?: AbortSignal) =>
    (await call('GET', '/nginx/certificates', 'list certificates', undefined, signal)) as NpmCertificate[];

  return {
    listProxyHosts,
    listCertificates,
    async getProxyHost(id, signal) {
      return (await call(
        'GET',
        `/nginx/proxy-hosts/${id}`,
        `read proxy host ${id}`,
        undefined,
        signal,
      )) as NpmProxyHost;
    },
    async findProxyHost(domain, signal) {
      return findHostForDomain(await listProxyHosts(signal), domain);
    },
    async createProxyHost(body, signal) {
      const domains = body.domain_names?.join(', ') ?? '(no domain)';
      return (await call(
        'POST',
        '/nginx/proxy-hosts',
        `create a proxy host for ${domains}`,
        body,
        signal,
      )) as NpmProxyHost;
    },
    async updateProxyHost(id, body, signal) {
      return (await call(
        'PUT',
        `/nginx/proxy-hosts/${id}`,
        `update proxy host ${id}`,
        body,
        signal,
      )) as NpmProxyHost;
    },
    async deleteProxyHost(id, signal) {
      try {
        await call('DELETE', `/nginx/proxy-hosts/${id}`, `delete proxy host ${id}`, undefined, signal);
      } catch (error) {
        if (error instanceof ExternalError && error.status === 404) return;
        throw error;
      }
    },
    async findCertificate(domain, signal) {
      return findCoveringCertificate(await listCertificates(signal), domain, clock.now());
    },
    async requestCertificate({ domain, dns }, signal) {
      // NPM reports a failed certbot run as 500 "Internal Error", which is also how it refuses a
      // token: a cheap request proves the token first (logging in again if needed), then the
      // certificate request is sent once, without a re-login that would run certbot again.
      await listCertificates(signal);
      const meta = dns
        ? {
            dns_challenge: true,
            dns_provider: dns.provider,
            dns_provider_credentials: dns.credentials,
            ...(dns.propagationSeconds === undefined ? {} : { propagation_seconds: dns.propagationSeconds }),
          }
        : { dns_challenge: false };
      const res = await session.send(
        'POST',
        '/nginx/certificates',
        { provider: 'letsencrypt', domain_names: [domain], meta },
        signal,
        { timeoutMs: CERTIFICATE_REQUEST_TIMEOUT_MS, relogin: false },
      );
      if (res.status >= 200 && res.status < 300) return res.body as NpmCertificate;
      const message = npmErrorMessage(res.body) ?? 'no message';
      const check = dns
        ? `the DNS provider ${dns.provider} and its credentials`
        : `that ${domain} resolves to NPM and reaches its port 80 from the internet`;
      throw new ExternalError(
        'npm',
        `NPM could not get a Let's Encrypt certificate for ${domain} (${res.status} ${message}); NPM's log has certbot's reason; check ${check}`,
        { status: res.status },
      );
    },
    close: () => session.close(),
  };
}
