import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tieToThisProcess } from './tied-child.js';

const run = promisify(execFile);

/** One proxied site: requests for `serverNames` go to `upstream` (scheme://host:port). */
export interface NginxSite {
  id: number;
  serverNames: string[];
  upstream: string;
  /** Extra directives inside the server block, as NPM places a host's advanced_config. */
  advancedConfig?: string;
}

/** A configuration nginx accepted: `served` resolves once new connections see it. */
export interface StagedConfig {
  served: Promise<void>;
}

/** A test-owned nginx on 127.0.0.1:`port`, its prefix, config and pid file in a temp dir. */
export interface NginxInstance {
  port: number;
  dir: string;
  /** Writes one server block per site, reloads, and resolves once new connections see the change. */
  apply(sites: NginxSite[]): Promise<void>;
  /**
   * As NPM does: writes and tests the configuration (rejects, keeping the old one, when nginx
   * refuses it), resolves, and signals the reload `lagMs` later; the answer comes before nginx serves it.
   */
  stage(sites: NginxSite[], lagMs: number): Promise<StagedConfig>;
  stop(): Promise<void>;
}

const GENERATION_PATH = '/__dw_generation';

/** Starts nginx with its own prefix in a temp dir; `stop()` ends it and removes the dir. */
export async function startNginx(): Promise<NginxInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'dw-nginx-'));
  await chmod(dir, 0o755);
  const sitesDir = join(dir, 'sites');
  await mkdir(sitesDir);
  await mkdir(join(dir, 'temp'), { mode: 0o777 });
  await chmod(join(dir, 'temp'), 0o777);
  const conf = join(dir, 'nginx.conf');
  const args = ['-p', dir, '-c', conf];
  let generation = 0;
  let child: ChildProcess | undefined;
  let port = 0;

  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    await writeFile(conf, mainConfig(dir, port));
    await writeFile(join(dir, 'generation.inc'), `return 200 "${generation}";\n`);
    const started = tieToThisProcess(spawn('nginx', args, { stdio: ['ignore', 'ignore', 'pipe'] }), 'QUIT');
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ok = await waitForGeneration(port, generation, 5_000, started);
    if (ok) child = started;
    else {
      started.kill('SIGKILL');
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`nginx did not start on 127.0.0.1:${port}: ${stderr.trim() || 'no output'}`);
      }
    }
  }
  const master = child;

  let queue: Promise<void> = Promise.resolve();
  let current = new Map<string, string>();
  const writeAndTest = async (sites: NginxSite[]) => {
    const wanted = new Map(sites.map((s) => [`${s.id}.conf`, siteConfig(port, s)]));
    for (const file of await readdir(sitesDir)) if (!wanted.has(file)) await rm(join(sitesDir, file));
    for (const [file, text] of wanted) await writeFile(join(sitesDir, file), text);
    try {
      await run('nginx', [...args, '-t', '-q']);
    } catch (error) {
      for (const file of wanted.keys()) await rm(join(sitesDir, file), { force: true });
      for (const [file, text] of current) await writeFile(join(sitesDir, file), text);
      const detail = (error as { stderr?: string }).stderr ?? String(error);
      throw new Error(`nginx rejected the configuration: ${detail.trim()}`, { cause: error });
    }
    current = wanted;
  };
  const reload = async () => {
    generation++;
    await writeFile(join(dir, 'generation.inc'), `return 200 "${generation}";\n`);
    const oldWorkers = await childrenOf(master.pid!);
    await run('nginx', [...args, '-s', 'reload']);
    // The reload is done when new workers answer and the old ones (still accepting for a few ms) have exited.
    const deadline = Date.now() + 10_000;
    const loaded = await waitForGeneration(port, generation, 10_000, master);
    while (loaded && oldWorkers.some(isAlive) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    if (!loaded || oldWorkers.some(isAlive)) {
      throw new Error(`nginx in ${dir} did not switch to configuration ${generation} within 10 s`);
    }
  };
  /** Changes run one at a time, each written, tested and reloaded before the next is written. */
  const enqueue = (sites: NginxSite[], lagMs: number) =>
    new Promise<StagedConfig>((resolveStaged, rejectStaged) => {
      const done = queue.then(async () => {
        try {
          await writeAndTest(sites);
        } catch (error) {
          rejectStaged(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const served = (async () => {
          if (lagMs > 0) await new Promise((r) => setTimeout(r, lagMs));
          await reload();
        })();
        resolveStaged({ served });
        await served;
      });
      queue = done.catch(() => {});
    });

  return {
    port,
    dir,
    async apply(sites) {
      await (
        await enqueue(sites, 0)
      ).served;
    },
    stage: enqueue,
    async stop() {
      if (master.exitCode === null && master.signalCode === null) {
        const exited = new Promise((resolve) => master.once('exit', resolve));
        master.kill('SIGQUIT');
        const timer = setTimeout(() => master.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function mainConfig(dir: string, port: number): string {
  const temp = (name: string) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  return `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server_names_hash_bucket_size 128;
  include ${join(dir, 'sites')}/*.conf;
  server {
    listen 127.0.0.1:${port} default_server;
    location = ${GENERATION_PATH} { include ${join(dir, 'generation.inc')}; }
    # NPM's default site: a host nginx does not serve yet answers 200 with this page.
    location / { default_type text/html; return 200 "<title>Default Site</title>Default Site\\n"; }
  }
}
`;
}

function siteConfig(port: number, site: NginxSite): string {
  return `server {
  listen 127.0.0.1:${port};
  server_name ${site.serverNames.join(' ')};
  location / {
    # A variable defers name resolution to request time, as NPM's own templates do: an unknown
    # forward host gives 502 for that site instead of a configuration that fails to load.
    set $upstream ${site.upstream};
    proxy_pass $upstream;
    proxy_set_header Host $host;
    proxy_connect_timeout 2s;
  }
${site.advancedConfig ?? ''}
}
`;
}

/** Pids of a process's children, from /proc (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls the generation endpoint on fresh connections until it reports `generation`. */
async function waitForGeneration(port: number, generation: number, timeoutMs: number, master: ChildProcess) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && master.exitCode === null && master.signalCode === null) {
    const body = await new Promise<string | undefined>((resolve) => {
      const req = get(
        { host: '127.0.0.1', port, path: GENERATION_PATH, agent: false, timeout: 1_000 },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => req.destroy());
    });
    if (body === String(generation)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
