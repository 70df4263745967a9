import type { Clock } from '../core/clock.js';
import { ExternalError, errorMessage } from '../core/errors.js';
import { basicAuthorization, parseChallenge, parseTokenResponse, TokenCache } from './registry-auth.js';
import { registryBaseUrl, registryHost, type RegistryEndpoint } from './registry-endpoint.js';

/** One answer of a registry, body read in full. */
export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RegistryHttpOptions {
  clock: Clock;
  /** The fetch requests go through; default the global one (Node's own undici). */
  fetch?: typeof fetch;
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
}

/** Who is asking what of which registry: the unit that auth and errors are about. */
export interface RegistryCall {
  endpoint: RegistryEndpoint;
  repository: string;
  signal?: AbortSignal | undefined;
}

type KnownAuth = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends registry requests, answering auth challenges as the registry asks: anonymous first,
 * then Basic, or a Bearer token from the challenge's realm (cached until it expires). Once a
 * registry's scheme is known, later requests carry the credentials or token up front.
 */
export function createRegistryHttp(options: RegistryHttpOptions) {
  const timeoutMs = options.timeoutMs ?? 15_000;
  // The global fetch, not the undici package: the HTTP server already loaded Node's fetch
  // classes, so polling a registry costs no memory of its own (the package cost about 12 MB).
  const send = options.fetch ?? fetch;
  const schemes = new Map<string, KnownAuth>();
  const tokens = new TokenCache();
  const pendingTokens = new Map<string, Promise<string>>();

  const raw = async (
    call: RegistryCall,
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
  ): Promise<RegistryResponse> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    try {
      // Redirects are followed by send() below, which decides where credentials may go.
      const res = await send(url, { method, headers, signal, redirect: 'manual' });
      const body = Buffer.from(await res.arrayBuffer());
      return { status: res.status, headers: Object.fromEntries(res.headers), body };
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : errorMessage(error);
      throw new ExternalError(
        'registry',
        `cannot reach registry ${new URL(url).host} (${method} ${new URL(url).pathname}: ${why}); check the registry address and that it is running`,
        { cause: error },
      );
    }
  };

  const refused = (call: RegistryCall, what: string, status: number) => {
    const host = registryHost(call.endpoint.registry);
    const hint = call.endpoint.credentialsHint ?? 'check the registry credentials in the config';
    const message = call.endpoint.credentials
      ? `wrong credentials for ${host} (${what} of ${call.repository} refused with ${status}): ${hint}`
      : `${host} wants credentials to read ${call.repository} (${what} refused with ${status}): ${hint}`;
    return new ExternalError('registry', message, { status });
  };

  const tokenKey = (call: RegistryCall, base: string, scope: string) =>
    `${base} ${scope} ${call.endpoint.credentials?.username ?? ''}`;

  const fetchToken = async (call: RegistryCall, auth: KnownAuth & { scheme: 'bearer' }, scope: string) => {
    const url = new URL(auth.realm);
    if (auth.service !== undefined) url.searchParams.set('service', auth.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.endpoint.credentials) headers.authorization = basicAuthorization(call.endpoint.credentials);
    const res = await raw(call, url.href, 'GET', headers);
    if (res.status === 401 || res.status === 403) throw refused(call, 'token request', res.status);
    const parsed = res.status === 200 ? parseTokenResponse(safeJson(res.body)) : undefined;
    if (parsed === undefined) {
      throw new ExternalError(
        'registry',
        `token service ${url.host} of ${registryHost(call.endpoint.registry)} answered ${res.status} without a token for ${scope}; check that the registry's auth service works`,
        { status: res.status },
      );
    }
    return parsed;
  };

  const bearerToken = async (call: RegistryCall, base: string, auth: KnownAuth & { scheme: 'bearer' }) => {
    const scope = `repository:${call.repository}:pull`;
    const key = tokenKey(call, base, scope);
    const cached = tokens.get(key, options.clock.now().getTime());
    if (cached !== undefined) return cached;
    let pending = pendingTokens.get(key);
    if (pending === undefined) {
      pending = fetchToken(call, auth, scope).then(({ token, expiresInSeconds }) => {
        tokens.set(key, token, options.clock.now().getTime(), expiresInSeconds);
        return token;
      });
      pendingTokens.set(key, pending);
      void pending.finally(() => pendingTokens.delete(key)).catch(() => {});
    }
    return pending;
  };

  const authorization = async (call: RegistryCall, base: string): Promise<string | undefined> => {
    const known = schemes.get(base);
    if (known === undefined) return undefined;
    if (known.scheme === 'basic') {
      return call.endpoint.credentials ? basicAuthorization(call.endpoint.credentials) : undefined;
    }
    return `Bearer ${await bearerToken(call, base, known)}`;
  };

  /** Learns the scheme from a 401 and retries once with credentials or a fresh token. */
  const answerChallenge = async (
    call: RegistryCall,
    base: string,
    res: RegistryResponse,
    sent: string | undefined,
    retry: (authorization: string | undefined) => Promise<RegistryResponse>,
    what: string,
  ) => {
    const challenge = parseChallenge(res.headers['www-authenticate']);
    if (challenge?.scheme === 'basic') {
      if (!call.endpoint.credentials || sent?.startsWith('Basic ')) throw refused(call, what, 401);
      schemes.set(base, { scheme: 'basic' });
      return retry(basicAuthorization(call.endpoint.credentials));
    }
    const realm = challenge?.params.realm;
    if (challenge?.scheme !== 'bearer' || realm === undefined) {
      throw new ExternalError(
        'registry',
        `${registryHost(call.endpoint.registry)} answered 401 to ${what} of ${call.repository} without a usable WWW-Authenticate challenge; check the registry URL`,
        { status: 401 },
      );
    }
    const auth: KnownAuth = { scheme: 'bearer', realm, ...optional('service', challenge.params.service) };
    schemes.set(base, auth);
    tokens.delete(tokenKey(call, base, `repository:${call.repository}:pull`));
    return retry(`Bearer ${await bearerToken(call, base, auth)}`);
  };

  return {
    /**
     * GET or HEAD `path` (or an absolute URL of the same registry). Follows redirects (blob
     * downloads often point at storage elsewhere) without sending credentials to another origin.
     */
    async send(
      call: RegistryCall,
      path: string,
      init: { method: 'GET' | 'HEAD'; accept: string; what: string },
    ): Promise<RegistryResponse> {
      const base = registryBaseUrl(call.endpoint);
      let url = new URL(path, base).href;
      const attempt = (authorization: string | undefined) =>
        raw(call, url, init.method, {
          accept: init.accept,
          ...(authorization === undefined ? {} : { authorization }),
        });
      const sent = await authorization(call, base);
      let res = await attempt(sent);
      if (res.status === 401) {
        res = await answerChallenge(call, base, res, sent, attempt, init.what);
        if (res.status === 401) throw refused(call, init.what, 401);
      }
      for (let hops = 0; REDIRECTS.has(res.status) && hops < 5; hops++) {
        const location = res.headers.location;
        if (typeof location !== 'string') break;
        const next = new URL(location, url);
        const sameOrigin = next.origin === new URL(base).origin;
        url = next.href;
        res = await raw(call, url, init.method, {
          accept: init.accept,
          ...(sameOrigin ? optional('authorization', await authorization(call, base)) : {}),
        });
      }
      return res;
    },

    /** Nothing to release: the global fetch keeps its own connection pool. */
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}

export type RegistryHttp = ReturnType<typeof createRegistryHttp>;

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** Parses JSON, undefined when the body is not JSON. */
export function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
