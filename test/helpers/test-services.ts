import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { tieToThisProcess } from './tied-child.js';

const run = promisify(execFile);

/** Env vars through which global setup hands the registries' addresses to the workers. */
export const OPEN_REGISTRY_ENV = 'DW_TEST_OPEN_REGISTRY';
export const AUTH_REGISTRY_ENV = 'DW_TEST_AUTH_REGISTRY';
/** The login of the htpasswd registry. */
export const AUTH_REGISTRY_LOGIN = { username: 'dw', password: 'dw-secret' };

/** What the tests run or call, and the Debian package that brings it. */
const NEEDED: { binary: string; pkg: string }[] = [
  { binary: 'docker', pkg: 'docker.io' },
  { binary: 'docker-registry', pkg: 'docker-registry' },
  { binary: 'htpasswd', pkg: 'apache2-utils' },
  { binary: 'nginx', pkg: 'nginx-light' },
  { binary: 'openssl', pkg: 'openssl' },
  { binary: '/bin/busybox', pkg: 'busybox-static' },
  { binary: '/usr/bin/chromium', pkg: 'chromium' },
];

/**
 * The binaries the test services need that are not installed, as one message with the one
 * command that installs them; undefined when all are there.
 */
export function missingBinaries(path = process.env.PATH ?? ''): string | undefined {
  const found = (binary: string) =>
    (binary.startsWith('/') ? [binary] : path.split(delimiter).map((dir) => join(dir, binary))).some(
      (file) => {
        try {
          accessSync(file, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      },
    );
  const missing = NEEDED.filter((need) => !found(need.binary));
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map((need) => need.pkg))].join(' ');
  return (
    `the tests need ${missing.map((need) => need.binary).join(', ')}, which are not installed: ` +
    `sudo apt-get install -y --no-install-recommends ${pkgs}`
  );
}

/** The registries of one test run, on loopback ports chosen at start. */
export interface TestServices {
  /** 127.0.0.1:<port> of the open registry. */
  openRegistry: string;
  /** 127.0.0.1:<port> of the registry with htpasswd auth (AUTH_REGISTRY_LOGIN). */
  authRegistry: string;
  /** Stops both and removes their storage. */
  stop(): Promise<void>;
}

/** Starts the open and the htpasswd registry (`docker-registry serve`), each in its own temp dir. */
export async function startTestServices(): Promise<TestServices> {
  const dir = await mkdtemp(join(tmpdir(), 'dw-test-services-'));
  const started: Service[] = [];
  // Vitest ends on Ctrl-C without running teardowns: the exit hook still ends what was started.
  const onExit = () => {
    for (const service of started) service.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    await Promise.all(started.map((service) => service.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { stdout: htpasswd } = await run('htpasswd', [
      '-Bbn',
      AUTH_REGISTRY_LOGIN.username,
      AUTH_REGISTRY_LOGIN.password,
    ]);
    await writeFile(join(dir, 'htpasswd'), htpasswd);
    const auth = `auth: { htpasswd: { realm: docker-watcher-test, path: ${join(dir, 'htpasswd')} } }`;
    const open = await startRegistry(join(dir, 'open'), 200, '');
    started.push(open);
    const locked = await startRegistry(join(dir, 'auth'), 401, auth);
    started.push(locked);
    return { openRegistry: open.host, authRegistry: locked.host, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Service {
  host: string;
  stop(): Promise<void>;
  /** Synchronous SIGTERM, for the exit hook. */
  kill(): void;
}

async function startRegistry(dir: string, expected: number, auth: string): Promise<Service> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(`${dir}-${attempt}.yml`);
    await writeFile(
      config,
      [
        'version: 0.1',
        'log: { level: warn }',
        `storage: { filesystem: { rootdirectory: ${dir} }, delete: { enabled: true } }`,
        `http: { addr: 127.0.0.1:${port} }`,
        auth,
        '',
      ].join('\n'),
    );
    const child = spawnTied('docker-registry', ['serve', config]);
    const host = `127.0.0.1:${port}`;
    const up = await waitForStatus(`http://${host}/v2/`, expected, child.process);
    if (up) return { host, stop: () => child.stop(), kill: () => child.process.kill('SIGTERM') };
    await child.stop();
    // Another process may have taken the port between freePort() and the bind: try another one.
    if (attempt >= 3) throw new Error(`docker-registry did not start on ${host}:\n${child.output()}`);
  }
}

/** Spawns a service tied to this process (see tieToThisProcess), keeping the tail of its output. */
function spawnTied(command: string, args: string[]) {
  const child = tieToThisProcess(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForStatus(url: string, expected: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === expected) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
