import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { benchInstance } from './bench-env.js';

/** A docker-watcher started as `node <root>/dist/bundle/main.js serve`, the way `npm start` runs it. */
export interface AppProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 from /healthz. */
  startMs: number;
  /** Resident set size now, in bytes (from /proc). */
  rss(): number;
  /** Lines the app logged on stdout so far. */
  logLines(): string[];
  stop(): Promise<void>;
}

/** This checkout: `npm run bench` runs in the package root (the bench itself runs from a bundle elsewhere). */
export const BENCH_ROOT = process.cwd();

export const BENCH_SECRET = 'bench-signing-secret';
export const BENCH_TOKEN = 'bench-api-token';

/** A free loopback port (never 5000/5001: the OS picks). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * What `npm start` runs in the checkout at `root`: the bundle (scripts/bundle-app.mjs), or in a
 * checkout from before it (`--before DIR`) the compiled dist/app/main.js.
 */
export function appEntry(root: string): string {
  const bundle = join(root, 'dist/bundle/main.js');
  return existsSync(bundle) ? bundle : join(root, 'dist/app/main.js');
}

/** Resident set size of a process, in bytes. */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) * 1024;
}

/**
 * Starts the app of the checkout at `root` (its dist/ must be built) with `config`, written as
 * JSON (valid YAML) into a fresh directory; the strings `{{PORT}}`, `{{ROUTER_PORT}}` (free ports)
 * and `{{NETWORK}}` are filled in.
 */
export async function startAppProcess(
  root: string,
  config: Record<string, unknown>,
  nodeOptions: string[] = [],
  /** Fills the fresh directory (e.g. a data/ with a database) before the app starts. */
  prepare?: (dir: string) => void,
): Promise<AppProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-'));
  prepare?.(dir);
  const port = await freePort();
  const routerPort = await freePort();
  const configFile = join(dir, 'docker-watcher.yaml');
  writeFileSync(
    configFile,
    JSON.stringify(config)
      .replaceAll('"{{PORT}}"', String(port))
      .replaceAll('"{{ROUTER_PORT}}"', String(routerPort))
      .replaceAll('{{NETWORK}}', `dw-${benchInstance}`),
  );
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeOptions, appEntry(root), 'serve', '--config', configFile],
    {
      cwd: dir,
      env: {
        ...process.env,
        DOCKER_WATCHER_SECRET: BENCH_SECRET,
        DOCKER_WATCHER_TOKEN: BENCH_TOKEN,
        DOCKER_WATCHER_INSTANCE_ID: benchInstance,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app at ${root} exited: ${stderr.slice(-2000)}`);
    try {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the app at ${root} did not answer /healthz in 30 s`);
    await new Promise((done) => setTimeout(done, 5));
  }
  const startMs = performance.now() - started;
  const pid = child.pid!;
  return {
    url,
    pid,
    startMs,
    rss: () => rssOf(pid),
    logLines: () => [...lines],
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The quickstart config (config/quickstart.yaml of `root`) on a free port, with this run's
 * network and a data dir of its own, and its built-in router on a free port too: what `npm start`
 * runs, moved out of the way of others (two benches at once both wanted the router's 8081).
 */
export function quickstartConfig(root: string): Record<string, unknown> {
  const config = parse(readFileSync(join(root, 'config/quickstart.yaml'), 'utf8')) as {
    global: Record<string, unknown>;
  };
  config.global = {
    ...config.global,
    network: '{{NETWORK}}',
    data_dir: './data',
    listen: { host: '127.0.0.1', port: '{{PORT}}' },
    ...(config.global.router ? { router: { ...config.global.router, port: '{{ROUTER_PORT}}' } } : {}),
  };
  return config;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
