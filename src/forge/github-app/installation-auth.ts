import type { createAppAuth } from '@octokit/auth-app';

type AppAuth = ReturnType<typeof createAppAuth>;

/** A token is renewed this long before GitHub's expires_at (tokens live an hour). */
export const REFRESH_BEFORE_MS = 5 * 60_000;

interface Token {
  token: string;
  expiresAt: number;
}

interface RequestLike {
  (options: unknown): Promise<unknown>;
  endpoint: { merge(route: unknown, parameters?: unknown): { headers: Record<string, string> } };
}

export interface InstallationAuthOptions {
  appAuth: AppAuth;
  installationId: number;
  now?: () => number;
}

/**
 * An Octokit auth strategy for one installation of the App: the installation token from
 * @octokit/auth-app, renewed before its `expires_at` (auth-app alone keeps a token 59 minutes,
 * whatever GitHub said), and once more when GitHub answers 401 (a token revoked or expired
 * mid-deploy): the request is sent again with the new token, so nothing is lost.
 */
export function installationAuthStrategy(options: InstallationAuthOptions) {
  const now = options.now ?? Date.now;
  let current: Promise<Token> | undefined;
  const fetchToken = async (refresh: boolean): Promise<Token> => {
    const result = (await options.appAuth({
      type: 'installation',
      installationId: options.installationId,
      refresh,
    })) as { token: string; expiresAt: string };
    return { token: result.token, expiresAt: Date.parse(result.expiresAt) };
  };
  const token = async (force: boolean): Promise<string> => {
    const known = await current?.catch(() => undefined);
    if (force || !known || known.expiresAt - now() < REFRESH_BEFORE_MS) {
      const next = fetchToken(force || known !== undefined);
      current = next;
      return (await next).token;
    }
    return known.token;
  };
  const auth = async () => ({ type: 'token', tokenType: 'installation', token: await token(false) });
  const hook = async (request: RequestLike, route: unknown, parameters?: unknown) => {
    const endpoint = request.endpoint.merge(route, parameters);
    endpoint.headers.authorization = `token ${await token(false)}`;
    try {
      return await request(endpoint);
    } catch (error) {
      if ((error as { status?: unknown }).status !== 401) throw error;
      endpoint.headers.authorization = `token ${await token(true)}`;
      return request(endpoint);
    }
  };
  return Object.assign(auth, { hook });
}
