import { Agent, request } from 'undici';
import type { Clock } from '../../core/clock.js';
import { ExternalError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';

export interface NpmSessionOptions {
  /** NPM's base URL from global.npm.url, e.g. http://npm:81 (the /api suffix is optional). */
  url: string;
  email: string;
  password: string;
  /** Where the password came from, for error messages (e.g. "NPM_PASSWORD"); never the value. */
  passwordSource?: string;
  clock: Clock;
  logger: Logger;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** A token with less than this left is refreshed before use; default 5 minutes. */
  refreshMarginMs?: number;
}

/** One answer of NPM, body already parsed (undefined when empty). */
export interface NpmResponse {
  status: number;
  body: unknown;
}

/** Sends authenticated JSON requests to NPM, logging in, refreshing and re-logging in as needed. */
export interface NpmSession {
  send(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    options?: NpmSendOptions,
  ): Promise<NpmResponse>;
  close(): Promise<void>;
}

/** Per-request overrides of a session's defaults. */
export interface NpmSendOptions {
  /** This request's timeout instead of the session's (a certificate request waits for certbot). */
  timeoutMs?: number;
  /**
   * Whether a token refusal is answered with a re-login and one retry (default true). A request
   * whose own failure NPM reports as 500 "Internal Error" (certbot failing) sets it to false and
   * proves the token with a cheap request first.
   */
  relogin?: boolean;
}

interface Token {
  value: string;
  expiresAt: number;
}

/** The message NPM puts in its documented error shape `{ error: { code, message } }`. */
export function npmErrorMessage(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * Whether an answer means "this token is no good". NPM v2.15.1 never says 401 or 403 for it: a
 * token signed by keys it no longer has (its keys.json was lost) or a malformed one gets
 * 500 "Internal Error", an expired one 400 "Token has expired". Other versions send 401/403.
 */
export function isTokenRefusal(res: NpmResponse): boolean {
  if (res.status === 401 || res.status === 403) return true;
  const message = npmErrorMessage(res.body);
  return (
    (res.status === 500 && message === 'Internal Error') ||
    (res.status === 400 && message === 'Token has expired')
  );
}

/** NPM refused a token it had just issued: the phase fails, naming what to check. */
export class NpmTokenRefusedError extends ExternalError {
  override name = 'NpmTokenRefusedError';
}

/** NPM got the request but did not answer within the timeout: it may still carry it out. */
export class NpmNoAnswerError extends ExternalError {
  override name = 'NpmNoAnswerError';
}

/** Creates an NPM session; nothing is sent until the first request. */
export function createNpmSession(options: NpmSessionOptions): NpmSession {
  const base = options.url.replace(/\/+$/, '').replace(/\/api$/, '') + '/api';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
  const agent = new Agent({ connect: { timeout: timeoutMs } });
  let token: Token | undefined;
  let pending: Promise<Token> | undefined;

  const raw = async (
    method: string,
    path: string,
    body: unknown,
    bearer: string | undefined,
    signal?: AbortSignal,
    waitMs = timeoutMs,
  ) => {
    const timeout = AbortSignal.timeout(waitMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await request(base + path, {
        method: method as 'GET',
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: combined,
        dispatcher: agent,
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? parseJson(text) : undefined };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const why = timeout.aborted ? `no answer within ${waitMs} ms` : errorMessage(error);
      throw new (timeout.aborted ? NpmNoAnswerError : ExternalError)(
        'npm',
        `cannot reach Nginx Proxy Manager at ${base} (${method} ${path}: ${why}); check global.npm.url and that NPM is running`,
        { cause: error },
      );
    }
  };

  const toToken = (body: unknown, what: string): Token => {
    const t = body as { token?: unknown; expires?: unknown } | undefined;
    if (typeof t?.token !== 'string' || typeof t.expires !== 'string') {
      const twoFactor = typeof (body as { requires_2fa?: unknown })?.requires_2fa === 'boolean';
      throw new ExternalError(
        'npm',
        twoFactor
          ? `NPM user ${options.email} has two-factor authentication; give docker-watcher a user without 2FA`
          : `NPM answered ${what} without a token and expiry`,
      );
    }
    const expiresAt = Date.parse(t.expires);
    if (Number.isNaN(expiresAt))
      throw new ExternalError('npm', `NPM gave a token expiry that is not a date: ${t.expires}`);
    return { value: t.token, expiresAt };
  };

  const login = async (signal?: AbortSignal): Promise<Token> => {
    const res = await raw(
      'POST',
      '/tokens',
      { identity: options.email, secret: options.password },
      undefined,
      signal,
    );
    if (res.status !== 200) {
      const reason = `${res.status}: ${npmErrorMessage(res.body) ?? 'no message'}`;
      const source = options.passwordSource ? ` and the password in ${options.passwordSource}` : '';
      throw new ExternalError(
        'npm',
        res.status === 401 || res.status === 400
          ? `NPM refused the login of ${options.email} (${reason}); check global.npm.email${source}`
          : `NPM failed to log in ${options.email} (${reason})`,
        { status: res.status },
      );
    }
    options.logger.debug('logged in to NPM', { email: options.email });
    return toToken(res.body, 'the login');
  };

  const refresh = async (current: Token, signal?: AbortSignal): Promise<Token> => {
    const res = await raw('GET', '/tokens', undefined, current.value, signal);
    if (res.status === 200) return toToken(res.body, 'the token refresh');
    options.logger.info('NPM refused to refresh the token; logging in again', { status: res.status });
    return login(signal);
  };

  /** One login or refresh at a time; concurrent callers share it. */
  const obtain = (make: () => Promise<Token>): Promise<Token> => {
    pending ??= make()
      .then((t) => (token = t))
      .finally(() => (pending = undefined));
    return pending;
  };

  const validToken = async (signal?: AbortSignal): Promise<Token> => {
    if (pending) return pending;
    const now = options.clock.now().getTime();
    if (!token || token.expiresAt <= now) return obtain(() => login(signal));
    const current = token;
    if (current.expiresAt - now < refreshMarginMs) return obtain(() => refresh(current, signal));
    return current;
  };

  return {
    async send(method, path, body, signal, sendOptions = {}) {
      const used = await validToken(signal);
      const res = await raw(method, path, body, used.value, signal, sendOptions.timeoutMs);
      if (sendOptions.relogin === false || !isTokenRefusal(res)) return res;
      // Keys rotated, token expired early or revoked: log in once more and retry once.
      options.logger.info('NPM refused the token; logging in again', {
        status: res.status,
        path,
        error: npmErrorMessage(res.body),
      });
      const fresh =
        token === used || token === undefined ? await obtain(() => login(signal)) : await validToken(signal);
      const again = await raw(method, path, body, fresh.value, signal);
      if (!isTokenRefusal(again)) return again;
      throw new NpmTokenRefusedError(
        'npm',
        `Nginx Proxy Manager refused the token it had just issued to ${options.email} (${method} /api${path}: ${again.status} ${npmErrorMessage(again.body) ?? 'no message'}); check NPM's logs, that global.npm.url points at NPM itself and that the user may manage proxy hosts`,
        { status: again.status },
      );
    },
    async close() {
      await agent.close();
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}
