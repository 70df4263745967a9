import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ForgeHttpError, type ForgeAnswer } from '../fake-forge-http.js';
import type { SpecOperation } from '../forge-api-spec.js';

/** An installation of the fake App: the account, its repositories (owner/name) and permissions. */
export interface FakeInstallation {
  id: number;
  account: string;
  repositories: string[];
  permissions: Record<string, 'read' | 'write'>;
}

export interface FakeAppOptions {
  appId: number;
  /** The App's public key (PEM), the half of the key pair GitHub keeps. */
  publicKey: string;
  installations: FakeInstallation[];
  /** How long an installation token lives (GitHub: 1 hour). */
  tokenTtlMs?: number;
}

/** The permission each endpoint the app uses needs (GitHub's x-accepted-github-permissions). */
const NEEDS: Record<string, string> = {
  'checks/create': 'checks=write',
  'checks/update': 'checks=write',
  'repos/create-commit-status': 'statuses=write',
  'repos/create-deployment': 'deployments=write',
  'repos/create-deployment-status': 'deployments=write',
  'issues/create-comment': 'issues=write; pull_requests=write',
  'issues/update-comment': 'issues=write; pull_requests=write',
  'issues/list-comments': 'issues=read; pull_requests=read',
  'reactions/create-for-issue-comment': 'issues=write; pull_requests=write',
  'pulls/get': 'pull_requests=read',
  'repos/get-collaborator-permission-level': 'metadata=read',
};

/** Endpoints GitHub answers only to the App's JWT. */
const JWT_ONLY = new Set([
  'apps/create-installation-access-token',
  'apps/get-repo-installation',
  'apps/get-authenticated',
]);

const ALL_PERMISSIONS: Record<string, 'read' | 'write'> = {
  checks: 'write',
  statuses: 'write',
  deployments: 'write',
  pull_requests: 'write',
  issues: 'write',
  contents: 'read',
  metadata: 'read',
};

/** Every permission the README asks for (tests take some away). */
export const APP_PERMISSIONS = ALL_PERMISSIONS;

/**
 * The GitHub App side of the fake GitHub: verifies the App's JWT (RS256 with the App's public
 * key, iss = app id, exp no more than 10 minutes after iat, as GitHub checks), issues installation
 * tokens that expire, scopes them to their installation's repositories (404 elsewhere, as GitHub
 * hides what a token cannot see) and answers 403 naming the permission a call needs.
 */
export function fakeGitHubApp(options: FakeAppOptions) {
  const publicKey: KeyObject = createPublicKey(options.publicKey);
  const tokens = new Map<string, { installation: FakeInstallation; expiresAt: number }>();
  const jwtsSeen: { iss: string | number; iat: number; exp: number }[] = [];
  const installation = (id: number) => options.installations.find((i) => i.id === id);
  const ofRepo = (repo: string) =>
    options.installations.find((i) => i.repositories.some((r) => r.toLowerCase() === repo.toLowerCase()));

  const checkJwt = (jwt: string) => {
    const [header, payload, signature] = jwt.split('.');
    const bad = () => new ForgeHttpError(401, 'A JSON web token could not be decoded');
    if (!header || !payload || !signature) throw bad();
    const ok = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!ok) throw bad();
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      iss: unknown;
      iat: number;
      exp: number;
    };
    const now = Math.floor(Date.now() / 1000);
    if (String(claims.iss) !== String(options.appId))
      throw new ForgeHttpError(401, "'Issuer' claim ('iss') must be an Integer");
    if (claims.exp - claims.iat > 600)
      throw new ForgeHttpError(401, "'Expiration time' claim ('exp') is too far in the future");
    if (claims.exp <= now)
      throw new ForgeHttpError(
        401,
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      );
    jwtsSeen.push({ iss: claims.iss as string | number, iat: claims.iat, exp: claims.exp });
  };

  return {
    jwtsSeen,
    /** Installation tokens issued, newest last. */
    issued: [] as { installationId: number; expiresAt: string }[],
    /** Every installation token expires now (as an hour passing mid-deploy). */
    expireTokens() {
      for (const entry of tokens.values()) entry.expiresAt = 0;
    },
    setPermissions(id: number, permissions: Record<string, 'read' | 'write'>) {
      installation(id)!.permissions = permissions;
    },

    /** Authorizes a request as the App (JWT) or an installation (token); throws what GitHub answers. */
    authorize(req: IncomingMessage, op: SpecOperation | undefined): boolean {
      const [scheme, value] = (req.headers.authorization ?? '').split(' ');
      if (!value) return false;
      if (/^bearer$/i.test(scheme ?? '') && value.split('.').length === 3) {
        checkJwt(value);
        if (op && !JWT_ONLY.has(op.operationId))
          throw new ForgeHttpError(403, 'Resource not accessible by integration');
        return true;
      }
      const entry = tokens.get(value);
      if (!entry) return false;
      if (entry.expiresAt <= Date.now()) throw new ForgeHttpError(401, 'Bad credentials');
      if (!op) return true;
      if (JWT_ONLY.has(op.operationId))
        throw new ForgeHttpError(401, 'A JSON web token could not be decoded');
      const repo = `${op.params.owner}/${op.params.repo}`;
      if (
        op.params.repo &&
        !entry.installation.repositories.some((r) => r.toLowerCase() === repo.toLowerCase())
      )
        throw new ForgeHttpError(404, 'Not Found');
      const needs = NEEDS[op.operationId];
      if (needs) {
        const granted = needs.split('; ').some((want) => {
          const [name, level] = want.split('=') as [string, 'read' | 'write'];
          const has = entry.installation.permissions[name];
          return has === 'write' || (has === 'read' && level === 'read');
        });
        if (!granted)
          throw new ForgeHttpError(
            403,
            'Resource not accessible by integration',
            {},
            { 'x-accepted-github-permissions': needs },
          );
      }
      return true;
    },

    /** The App endpoints; undefined for others. */
    handle(op: SpecOperation, base: string): ForgeAnswer | undefined {
      const p = op.params;
      const installationJson = (i: FakeInstallation) => ({
        id: i.id,
        app_id: options.appId,
        account: { login: i.account, id: i.id, type: 'Organization' },
        repository_selection: 'selected',
        access_tokens_url: `${base}/app/installations/${i.id}/access_tokens`,
        repositories_url: `${base}/installation/repositories`,
        html_url: `https://github.com/organizations/${i.account}/settings/installations/${i.id}`,
        target_id: i.id,
        target_type: 'Organization',
        permissions: i.permissions,
        events: ['check_run', 'issue_comment', 'pull_request', 'registry_package'],
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
        single_file_name: null,
        app_slug: 'docker-watcher',
      });
      if (op.operationId === 'apps/create-installation-access-token') {
        const found = installation(Number(p.installation_id));
        if (!found) throw new ForgeHttpError(404, 'Not Found');
        const token = `ghs_${randomBytes(18).toString('base64url')}`;
        const expiresAt = Date.now() + (options.tokenTtlMs ?? 3600_000);
        tokens.set(token, { installation: found, expiresAt });
        const iso = new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
        this.issued.push({ installationId: found.id, expiresAt: iso });
        return {
          status: 201,
          body: { token, expires_at: iso, permissions: found.permissions, repository_selection: 'selected' },
        };
      }
      if (op.operationId === 'apps/get-repo-installation') {
        const found = ofRepo(`${p.owner}/${p.repo}`);
        if (!found) throw new ForgeHttpError(404, 'Not Found');
        return { status: 200, body: installationJson(found) };
      }
      return undefined;
    },
  };
}

export type FakeGitHubApp = ReturnType<typeof fakeGitHubApp>;
