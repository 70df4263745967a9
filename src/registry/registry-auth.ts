/** A parsed `WWW-Authenticate` challenge of a registry. */
export interface AuthChallenge {
  scheme: 'basic' | 'bearer';
  /** Lower-cased parameter names: realm, service, scope, error. */
  params: Record<string, string>;
}

/** Parses the first challenge of a `WWW-Authenticate` header; undefined for unknown schemes. */
export function parseChallenge(header: string | string[] | undefined): AuthChallenge | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(value);
  const scheme = match?.[1]?.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const param of (match?.[2] ?? '').matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const name = param[1]?.toLowerCase();
    if (name !== undefined) params[name] = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

/** The value of an `Authorization: Basic` header. */
export function basicAuthorization(login: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
}

/** The token and lifetime of a token endpoint's answer (Docker token spec; OAuth2 `access_token` too). */
export function parseTokenResponse(body: unknown): { token: string; expiresInSeconds: number } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { token, access_token: accessToken, expires_in: expiresIn } = body as Record<string, unknown>;
  const value = typeof token === 'string' && token !== '' ? token : accessToken;
  if (typeof value !== 'string' || value === '') return undefined;
  // The spec: a token without expires_in lasts 60 seconds.
  const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 60;
  return { token: value, expiresInSeconds: seconds };
}

/** Bearer tokens by registry, scope and user, valid until their expiry on the injected clock. */
export class TokenCache {
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();

  get(key: string, nowMs: number): string | undefined {
    const entry = this.#tokens.get(key);
    if (entry === undefined) return undefined;
    if (nowMs < entry.expiresAt) return entry.token;
    this.#tokens.delete(key);
    return undefined;
  }

  /** Keeps a token a second less than it lasts, so it never expires on the way to the registry. */
  set(key: string, token: string, nowMs: number, expiresInSeconds: number): void {
    this.#tokens.set(key, { token, expiresAt: nowMs + Math.max(expiresInSeconds - 1, 0) * 1000 });
  }

  delete(key: string): void {
    this.#tokens.delete(key);
  }
}
