import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createSign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tieToThisProcess } from './tied-child.js';

const run = promisify(execFile);

export const TOKEN_REGISTRY_LOGIN = { username: 'dw', password: 'dw-secret' };

/** One request the token server answered. */
export interface TokenRequest {
  scope: string | null;
  service: string | null;
  /** The Basic user, or undefined for an anonymous request. */
  user: string | undefined;
  granted: boolean;
}

export interface TokenRegistry {
  /** 127.0.0.1:<port> of the registry. */
  host: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

const SERVICE = 'dw-token-registry';
const ISSUER = 'dw-test-token-issuer';

/**
 * Debian's docker-registry with `auth: token`, and a token server on loopback that signs JWTs
 * (RS256, x5c header) with a key whose self-signed certificate is the registry's rootcertbundle.
 * Anonymous requests get what they ask for (so `docker push` works without a login); requests with
 * Basic credentials must carry TOKEN_REGISTRY_LOGIN, otherwise they get 401.
 */
export async function startTokenRegistry(
  options: { expiresInSeconds?: number } = {},
): Promise<TokenRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'dw-token-registry-'));
  const requests: TokenRequest[] = [];
  let tokenServer: Server | undefined;
  let registry: ChildProcess | undefined;
  const stop = async () => {
    registry?.kill('SIGTERM');
    await new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=dw-test-token-issuer',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const key = createPrivateKey(await readFile(join(dir, 'key.pem')));
    const certDer = new X509Certificate(await readFile(join(dir, 'cert.pem'))).raw.toString('base64');
    const expiresIn = options.expiresInSeconds ?? 300;

    tokenServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://token');
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, password] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
      const ok =
        basic === undefined ||
        (user === TOKEN_REGISTRY_LOGIN.username && password === TOKEN_REGISTRY_LOGIN.password);
      const scope = url.searchParams.get('scope');
      requests.push({ scope, service: url.searchParams.get('service'), user, granted: ok });
      if (!ok) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"wrong credentials"}');
        return;
      }
      const token = signToken(key, certDer, user ?? '', url.searchParams.getAll('scope'), expiresIn);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: expiresIn }));
    });
    await new Promise<void>((resolve) => tokenServer!.listen(0, '127.0.0.1', resolve));
    const tokenPort = (tokenServer.address() as AddressInfo).port;

    const port = await freePort();
    await writeFile(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: { level: warn }',
        `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
        `http: { addr: 127.0.0.1:${port} }`,
        `auth: { token: { realm: "http://127.0.0.1:${tokenPort}/token", service: ${SERVICE}, issuer: ${ISSUER}, rootcertbundle: ${join(dir, 'cert.pem')} } }`,
      ].join('\n'),
    );
    registry = tieToThisProcess(
      spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    let stderr = '';
    registry.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForRegistry(`http://127.0.0.1:${port}/v2/`, () => stderr);
    return { host: `127.0.0.1:${port}`, requests, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function signToken(
  key: ReturnType<typeof createPrivateKey>,
  certDer: string,
  subject: string,
  scopes: string[],
  expiresIn: number,
) {
  const now = Math.floor(Date.now() / 1000);
  const access = scopes.flatMap((scope) => {
    const [type, ...rest] = scope.split(':');
    const actions = rest.pop()?.split(',') ?? [];
    return type === undefined ? [] : [{ type, name: rest.join(':'), actions }];
  });
  const claims = {
    iss: ISSUER,
    sub: subject,
    aud: SERVICE,
    iat: now,
    nbf: now - 10,
    exp: now + expiresIn,
    jti: `${now}-${Math.random()}`,
    access,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', x5c: [certDer] })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url');
  return `${unsigned}.${signature}`;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForRegistry(url: string, log: () => string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 401) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`token registry at ${url} did not start:\n${log()}`);
}
