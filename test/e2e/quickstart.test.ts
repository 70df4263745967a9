import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker, useTestInstance } from '../helpers/docker-env.js';
import { installPackedPackage, type InstalledPackage } from '../helpers/installed-package.js';
import { getWithHost, startTraffic } from '../helpers/host-traffic.js';
import { buildTestImage } from '../helpers/test-images.js';
import { freePort } from '../helpers/test-services.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const hasDocker = await requireDocker();

/** A fenced block of the README, found by the `<!-- quickstart:NAME -->` marker above it. */
function readmeBlock(readme: string, name: string): string {
  const match = new RegExp(`<!-- quickstart:${name} -->\\n+\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no block marked <!-- quickstart:${name} -->`);
  return match[1];
}

interface AppProcess {
  child: ChildProcess;
  url: string;
  log: { msg: string; [key: string]: unknown }[];
  stop(): Promise<void>;
}

/** `docker-watcher serve` of the installed package, as a process; resolves once it listens. */
async function serve(
  bin: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  routerPort?: number,
): Promise<AppProcess> {
  const args = [
    'serve',
    '--port',
    '0',
    ...(routerPort === undefined ? [] : ['--router-port', String(routerPort)]),
  ];
  const child = spawn(bin, args, { cwd, env, stdio: 'pipe' });
  const log: AppProcess['log'] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, end)) as AppProcess['log'][number];
        buffered = buffered.slice(end + 1);
        log.push(line);
        if (line.msg === 'listening') resolve(String(line.url));
      }
    });
    void exited.then(() => reject(new Error(`the app exited before listening:\n${stderr}`)));
  });
  return {
    child,
    url,
    log,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let installed: InstalledPackage;
beforeAll(async () => {
  installed = await installPackedPackage();
}, 300_000);
afterAll(async () => {
  if (installed) await rm(installed.dir, { recursive: true, force: true });
});

/** Runs the installed `docker-watcher` from a folder outside the repository, with a bare environment. */
function installedCommand(args: string[], env: NodeJS.ProcessEnv = {}) {
  return run(installed.bin, args, {
    cwd: installed.dir,
    env: { PATH: process.env.PATH, HOME: installed.dir, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe('the packed package, installed with npm install -g', () => {
  it('bundles its dependencies, and no devDependency, so it installs offline', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    // What only the build and the tests use (typescript, vitest, eslint...), per the lockfile.
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
      .map(([path]) => path.slice('node_modules/'.length));
    expect(devOnly).toEqual(expect.arrayContaining(['typescript', 'vitest', 'esbuild']));
    const modules = join(installed.packageDir, 'node_modules');
    for (const name of Object.keys(pkg.dependencies)) {
      await expect(readFile(join(modules, name, 'package.json'), 'utf8'), name).resolves.toContain(name);
    }
    for (const name of devOnly) {
      await expect(readFile(join(modules, name, 'package.json'), 'utf8'), name).rejects.toThrow(/ENOENT/);
    }
    const { stdout } = await run('tar', ['tzf', installed.tarball], { maxBuffer: 16 * 1024 * 1024 });
    const entries = stdout.trim().split('\n');
    expect(entries.filter((entry) => !entry.startsWith('package/'))).toEqual([]);
    expect(entries.filter((entry) => /^package\/(app|src|test|action|bench|scripts)\//.test(entry))).toEqual(
      [],
    );
    expect(entries).toContain('package/node_modules/hono/package.json');
  });

  it('runs outside the repository: the command list, schema, check-config', async () => {
    const help = await installedCommand(['--help']);
    for (const command of ['serve', 'check-config', 'deploy', 'token', 'logs', 'teardown', 'schema']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    const schema = await installedCommand(['schema']);
    expect(schema.stdout).toBe(await readFile(join(root, 'docker-watcher.schema.json'), 'utf8'));
    const quickstart = join(installed.packageDir, 'config', 'quickstart.yaml');
    const check = await installedCommand(['check-config', quickstart]);
    expect(check.stdout).toContain(`${quickstart} is valid: 1 project(s), 1 stage(s)`);
    await writeFile(join(installed.dir, 'bad.yaml'), 'projects:\n  web:\n    port: 0\n');
    const bad = await installedCommand(['check-config', join(installed.dir, 'bad.yaml')]).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect(bad).toMatchObject({ code: 1, stdout: expect.stringMatching(/problem\(s\) in /) as unknown });
  });

  it('says where to get a token before the app has generated one, and deploy names what is missing', async () => {
    const token = await installedCommand(['token']).catch((error: { code: number; stderr: string }) => error);
    expect(token).toMatchObject({ code: 1, stderr: expect.stringContaining('no token for') as unknown });
    const deploy = await installedCommand(['deploy', '--project', 'demo', '--tag', 'v1']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(deploy).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'set the signing secret in the environment variable DOCKER_WATCHER_SECRET, or give --stage S',
      ) as unknown,
    });
  });
});

/**
 * The README's quickstart as a user runs it, on the real engine: the packed package (npm pack)
 * installed with `npm install -g` into a prefix outside the repository, `docker-watcher serve`
 * with the shipped quickstart config and no credentials set, the README's Dockerfile and commands
 * run as written. What is substituted, and why: the Dockerfile's FROM (tests have no internet: a
 * local busybox image stands in), the app's port (a free one, handed to the CLI as
 * DOCKER_WATCHER_URL) and `npx docker-watcher` (the installed command, which is what npx runs
 * in the clone too).
 */
describe.skipIf(!hasDocker)('quickstart: a local image made live with the README commands', () => {
  const instanceId = useTestInstance();
  let dir: string;
  let bin: string;
  let credentials: string;
  let work: string;
  let app: AppProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let commands: string[];
  /** The built-in router's port (8081 in the shipped config; a free one here). */
  let routerPort: number;
  const stageHost = 'stage-dev-demo.localhost';
  /** Where the first start writes the built-ins it loaded. */
  let builtinsFile: string;

  beforeAll(async () => {
    ({ dir, bin } = installed);
    routerPort = await freePort();
    credentials = join(installed.packageDir, 'data', 'credentials.json');
    builtinsFile = join(dir, 'builtins.json');

    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const base = await buildTestImage({
      repository: 'quickstart/base',
      tag: 'v1',
      behaviour: 'healthy',
      instanceId,
    });
    // The user's terminal is in the clone; of it, the commands use examples/hello.
    work = join(dir, 'clone');
    await mkdir(join(work, 'examples', 'hello'), { recursive: true });
    const dockerfile = await readFile(join(root, 'examples', 'hello', 'Dockerfile'), 'utf8');
    expect(readmeBlock(readme, 'dockerfile')).toBe(dockerfile);
    expect(dockerfile).toMatch(/^FROM busybox\S*\n/);
    await writeFile(
      join(work, 'examples', 'hello', 'Dockerfile'),
      dockerfile.replace(/^FROM \S+/, `FROM ${base.ref}`),
    );
    commands = readmeBlock(readme, 'commands').trim().split('\n');

    env = {
      PATH: process.env.PATH,
      HOME: dir,
      DOCKER_WATCHER_INSTANCE_ID: instanceId,
    };
    // The first start reports the built-ins it loaded, on SIGUSR2 (test/fixtures/report-builtins.mjs).
    app = await serve(
      bin,
      work,
      {
        ...env,
        NODE_OPTIONS: `--import=${pathToFileURL(join(root, 'test/fixtures/report-builtins.mjs')).href}`,
        DW_TEST_BUILTINS_FILE: builtinsFile,
      },
      routerPort,
    );
    env.DOCKER_WATCHER_URL = app.url;
  }, 300_000);

  /** The Node built-ins the first start of the app has loaded until now. */
  async function loadedBuiltins(): Promise<string[]> {
    await rm(builtinsFile, { force: true });
    app!.child.kill('SIGUSR2');
    for (let waited = 0; waited < 5_000; waited += 20) {
      const text = await readFile(builtinsFile, 'utf8').catch(() => undefined);
      if (text !== undefined) return JSON.parse(text) as string[];
      await new Promise((done) => setTimeout(done, 20));
    }
    throw new Error('the app did not report its built-ins within 5 s of SIGUSR2');
  }

  afterAll(async () => {
    await app?.stop();
    await run('docker', ['rmi', '-f', 'demo/hello:v1', 'demo/hello:v2']).catch(() => undefined);
  });

  /** Runs one README command line in the user's directory, `npx docker-watcher` as the package bin. */
  async function user(line: string) {
    const words = line.split(' ');
    const [file, ...args] = line.startsWith('npx docker-watcher ') ? [bin, ...words.slice(2)] : words;
    return run(file!, args, { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
  }

  it('generates the credentials on the first start and says so, with the file', () => {
    const generated = app!.log.find((line) => line.msg.startsWith('generated credentials'));
    expect(generated).toMatchObject({
      variables: ['DOCKER_WATCHER_SECRET', 'DOCKER_WATCHER_TOKEN'],
      file: credentials,
    });
  });

  it("answers health probes without loading Node's fetch classes, TLS or http-proxy-3; the first page loads them (issue 21)", async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${app!.url}/healthz`)).status).toBe(200);
    // For the router too: a host it has no stage of gets its 404 page without the proxy.
    expect((await getWithHost(routerPort, 'nothing.localhost')).status).toBe(404);
    const idle = await loadedBuiltins();
    expect(idle).toContain('NativeModule http');
    expect(idle).not.toContain('NativeModule internal/deps/undici/undici');
    expect(idle).not.toContain('NativeModule http2');
    // Nor what an ES import of node:util, process.stdin or docker-modem's https would load.
    for (const unused of ['tls', 'worker_threads', 'internal/util/diff', 'internal/readline/interface']) {
      expect(idle).not.toContain(`NativeModule ${unused}`);
    }
    expect((await fetch(`${app!.url}/login`)).status).toBe(200);
    expect(await loadedBuiltins()).toContain('NativeModule internal/deps/undici/undici');
  });

  it('tells on the login page where the generated token is', async () => {
    const html = await (await fetch(`${app!.url}/login`)).text();
    expect(html).toContain(credentials);
    expect(html).toContain('npx docker-watcher token');
  });

  it('builds and deploys demo/hello:v1 with the two README commands, and it serves', async () => {
    expect(commands).toEqual([
      'docker build -t demo/hello:v1 examples/hello',
      'npx docker-watcher deploy --project demo --stage dev --tag v1',
    ]);
    await user(commands[0]!);
    const { stdout } = await user(commands[1]!);
    expect(stdout).toMatch(/^status=succeeded$/m);
    // The stage's stable URL on the built-in router (curl and browsers resolve *.localhost to loopback).
    expect(stdout).toMatch(new RegExp(`^url=http://${stageHost}:${routerPort}$`, 'm'));
    expect(await getWithHost(routerPort, stageHost)).toEqual({ status: 200, body: 'hello from v1\n' });
    // No registry in the quickstart: nothing polls one (Docker Hub, for an image named demo/hello).
    expect(app!.log.filter((line) => line.msg === 'registry poll failed')).toEqual([]);
  }, 120_000);

  it('deploys v2 under load: the same URL answers v2, and not one request failed', async () => {
    const dockerfile = await readFile(join(work, 'examples', 'hello', 'Dockerfile'), 'utf8');
    await writeFile(join(work, 'examples', 'hello', 'Dockerfile'), dockerfile.replace('from v1', 'from v2'));
    await user('docker build -t demo/hello:v2 examples/hello');
    const traffic = startTraffic(routerPort, stageHost, { concurrency: 4 });
    const { stdout } = await user('npx docker-watcher deploy --project demo --stage dev --tag v2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const report = await traffic.stop();
    expect(stdout).toMatch(/^status=succeeded$/m);
    expect(stdout).toMatch(new RegExp(`^url=http://${stageHost}:${routerPort}$`, 'm'));
    expect(stdout).toMatch(/built-in router: .* \(switched in memory, no reload\)/);
    expect(report.failures).toEqual([]);
    expect(report.sent).toBeGreaterThan(100);
    expect(report.bodies.at(-1)).toBe('hello from v2\n');
    // Requests sent before the switch may still end on v1 (they drain); after it, v2 only.
    expect(new Set(report.bodies.slice(-50))).toEqual(new Set(['hello from v2\n']));
  }, 120_000);

  it('prints the generated token with `docker-watcher token`, and it opens the API', async () => {
    const saved = JSON.parse(await readFile(credentials, 'utf8')) as {
      DOCKER_WATCHER_TOKEN: string;
    };
    const { stdout } = await user('npx docker-watcher token');
    expect(stdout).toBe(`${saved.DOCKER_WATCHER_TOKEN}\n`);
    const api = await fetch(`${app!.url}/api/projects/demo`, {
      headers: { authorization: `Bearer ${stdout.trim()}` },
    });
    expect(api.status).toBe(200);
  });

  it('says "generated" only when it generated: a restart uses the kept credentials', async () => {
    await app!.stop();
    app = await serve(bin, work, env, routerPort);
    env.DOCKER_WATCHER_URL = app.url;
    expect(app.log.some((line) => line.msg.startsWith('generated'))).toBe(false);
    // The router's table is rebuilt from the live version: the stage answers again at its URL.
    await expect
      .poll(() => getWithHost(routerPort, stageHost).catch(() => undefined), { timeout: 15_000 })
      .toEqual({
        status: 200,
        body: 'hello from v2\n',
      });
    expect(app.log.find((line) => line.msg.startsWith('using credentials'))).toMatchObject({
      variables: ['DOCKER_WATCHER_SECRET', 'DOCKER_WATCHER_TOKEN'],
    });
  });

  it('check-config of the shipped quickstart config agrees: nothing to set, the app generates both', async () => {
    const { stdout } = await user(
      `npx docker-watcher check-config ${join(installed.packageDir, 'config', 'quickstart.yaml')}`,
    );
    expect(stdout).not.toContain('Not set here');
    expect(stdout).toContain(
      `Generated by the app (kept in ${credentials}): DOCKER_WATCHER_SECRET, DOCKER_WATCHER_TOKEN`,
    );
  });
});
