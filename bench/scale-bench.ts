import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import type { DeployIntent } from '../src/core/deploy-types.js';
import { newDeployId } from '../src/deploy/deploy-id.js';
import type * as StoreModule from '../src/store/sqlite-store.js';
import { BENCH_ROOT, BENCH_TOKEN, mb, startAppProcess, type AppProcess } from './app-process.js';
import { startNodeOptions } from './idle-bench.js';
import { median, ms, quantile, table } from './stats.js';

const PROJECTS = 170;
const STAGES = ['dev', 'staging', 'prod'] as const;
const PATTERNS = { dev: 'dev-*', staging: 'rc-*', prod: 'v*' } as const;
const DEPLOYS = 100_000;
const POLL_INTERVAL_SECONDS = 60;
const REPEATS = 7;

const projectName = (i: number) => `p-${String(i).padStart(3, '0')}`;

/** A registry answering the tag lists the poller asks for (tags no stage wants), with the time of each. */
async function startTagRegistry(): Promise<{ url: string; host: string; times: number[]; server: Server }> {
  const times: number[] = [];
  const tags = Array.from({ length: 30 }, (_, i) => `build-${i}`);
  const server = createServer((req, res) => {
    const match = /^\/v2\/(.+)\/tags\/list/.exec(req.url ?? '');
    if (match) times.push(performance.now());
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(match ? JSON.stringify({ name: match[1], tags }) : '{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, times, server };
}

function scaleConfig(registry: { url: string; host: string }): Record<string, unknown> {
  const projects: Record<string, unknown> = {};
  for (let i = 0; i < PROJECTS; i++) {
    projects[projectName(i)] = {
      registry: 'local',
      image: `${registry.host}/scale/${projectName(i)}`,
      port: 8080,
      healthcheck: '/',
      stages: Object.fromEntries(
        STAGES.map((stage) => [stage, { tag_pattern: PATTERNS[stage], auto_deploy: true }]),
      ),
    };
  }
  return {
    global: {
      domain: 'scale.test',
      network: '{{NETWORK}}',
      listen: { host: '127.0.0.1', port: '{{PORT}}' },
      data_dir: './data',
    },
    registries: {
      local: {
        url: registry.url,
        type: 'generic',
        insecure: true,
        poll_interval_seconds: POLL_INTERVAL_SECONDS,
      },
    },
    projects,
  };
}

/**
 * A database with DEPLOYS finished deploys spread over the 510 stages (a year of history, 5
 * phases each, some failed) and the newest succeeded one of each stage live. Written once per
 * run (with the schema of `schemaRoot`'s build) and copied into each app's data dir.
 */
async function historyDatabase(host: string, schemaRoot: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-scale-db-'));
  const file = join(dir, 'docker-watcher.db');
  // The schema of the oldest checkout measured: a newer one migrates it when it starts.
  const storeModule = pathToFileURL(join(schemaRoot, 'dist/src/store/sqlite-store.js')).href;
  const { openSqliteStore } = (await import(storeModule)) as typeof StoreModule;
  openSqliteStore(file).close();
  const db = new DatabaseSync(file);
  const insertDeploy = db.prepare(
    `INSERT INTO deploys (id, project, stage, status, intent, image_ref, container_id, container_name, url, error, created_at, started_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertPhase = db.prepare(
    'INSERT INTO deploy_phases (deploy_id, phase, started_at, finished_at, ok) VALUES (?, ?, ?, ?, ?)',
  );
  const setLive = db.prepare(
    `INSERT OR REPLACE INTO live_versions (project, stage, deploy_id, tag, image, image_ref, container_id, container_name, since)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const start = Date.now() - 365 * 24 * 3600 * 1000;
  const step = (365 * 24 * 3600 * 1000) / DEPLOYS;
  db.exec('BEGIN');
  for (let i = 0; i < DEPLOYS; i++) {
    const project = projectName(i % PROJECTS);
    const stage = STAGES[Math.floor(i / PROJECTS) % STAGES.length]!;
    const at = new Date(start + i * step);
    const id = newDeployId(at);
    const tag = stage === 'prod' ? `v1.${i}.0` : `${stage === 'dev' ? 'dev' : 'rc'}-${i}`;
    const image = `${host}/scale/${project}`;
    const failed = i % 17 === 0;
    const intent: DeployIntent = {
      project,
      stage,
      image,
      tag,
      trigger: 'ci',
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: `acme/${project}`,
        sha: 'a'.repeat(40),
        pr: i % 50,
      },
      requestedBy: 'ci-bot',
    };
    const times = [0, 1, 2, 3, 4, 5].map((s) => new Date(at.getTime() + s * 1000).toISOString());
    const containerName = `${project}-${stage}-${id}`;
    insertDeploy.run(
      id,
      project,
      stage,
      failed ? 'failed' : 'succeeded',
      JSON.stringify(intent),
      `${image}:${tag}`,
      failed ? null : `c${id}`,
      containerName,
      failed ? null : `http://stage-${stage}-${project}.scale.test`,
      failed ? JSON.stringify({ phase: 'health', message: 'health check failed: 503 from /' }) : null,
      times[0]!,
      times[0]!,
      times[5]!,
    );
    for (const [n, phase] of ['pull', 'start', 'health', 'switch', 'drain'].entries()) {
      insertPhase.run(id, phase, times[n]!, times[n + 1]!, failed && phase === 'health' ? 0 : 1);
      if (failed && phase === 'health') break;
    }
    if (!failed)
      setLive.run(project, stage, id, tag, image, `${image}:${tag}`, `c${id}`, containerName, times[5]!);
  }
  db.exec('COMMIT');
  db.close();
  return file;
}

interface ScaleResult {
  overviewMs: number;
  overviewBytes: number;
  overviewLastMs: number;
  overviewLastBytes: number;
  listMs: Record<string, number>;
  listP99: number;
  pollCycleMs: number;
  polled: number;
  rss: number;
}

async function login(app: AppProcess): Promise<string> {
  const res = await fetch(`${app.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url },
    body: new URLSearchParams({ token: BENCH_TOKEN }).toString(),
  });
  await res.arrayBuffer();
  const cookie = res.headers
    .getSetCookie()
    .map((value) => value.split(';')[0])
    .join('; ');
  if (!cookie) throw new Error(`the dashboard login answered ${res.status} without a session cookie`);
  return cookie;
}

async function timed(url: string, headers: Record<string, string>): Promise<{ ms: number; bytes: number }[]> {
  const runs: { ms: number; bytes: number }[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    runs.push({ ms: performance.now() - started, bytes: body.byteLength });
  }
  return runs;
}

async function measure(
  root: string,
  database: string,
  registry: Awaited<ReturnType<typeof startTagRegistry>>,
): Promise<ScaleResult> {
  registry.times.length = 0;
  const app = await startAppProcess(root, scaleConfig(registry), startNodeOptions(root), (dir) => {
    mkdirSync(join(dir, 'data'));
    copyFileSync(database, join(dir, 'data', 'docker-watcher.db'));
  });
  try {
    // The first poll round: every project once, all started together at start.
    const deadline = Date.now() + POLL_INTERVAL_SECONDS * 1000;
    while (registry.times.length < PROJECTS && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 20));
    const polled = registry.times.length;
    const pollCycleMs = polled === 0 ? Number.NaN : Math.max(...registry.times) - Math.min(...registry.times);

    const cookie = await login(app);
    const overview = await timed(`${app.url}/`, { cookie });
    const last = await timed(`${app.url}/?page=${Math.ceil(PROJECTS / 20)}`, { cookie });
    const bearer = { authorization: `Bearer ${BENCH_TOKEN}` };
    const lists: Record<string, string> = {
      'GET /api/deploys': '/api/deploys',
      'GET /api/deploys?project=&stage=': `/api/deploys?project=${projectName(42)}&stage=prod`,
      'GET /api/projects': '/api/projects',
    };
    const listMs: Record<string, number> = {};
    const every: number[] = [];
    for (const [name, path] of Object.entries(lists)) {
      const runs = await timed(`${app.url}${path}`, bearer);
      listMs[name] = median(runs.map((run) => run.ms));
      every.push(...runs.map((run) => run.ms));
    }
    return {
      overviewMs: median(overview.map((run) => run.ms)),
      overviewBytes: overview[0]!.bytes,
      overviewLastMs: median(last.map((run) => run.ms)),
      overviewLastBytes: last[0]!.bytes,
      listMs,
      listP99: quantile(every, 0.99),
      pollCycleMs,
      polled,
      rss: app.rss(),
    };
  } finally {
    await app.stop();
  }
}

/**
 * Issue 21's scale: 170 projects of 3 stages (510 stages) and 100,000 deploys in the history,
 * the app as `npm start` runs it. The overview page, the API lists, the process's RSS after them,
 * and the first registry poll round of all projects (the time from its first to its last tag list).
 */
export async function scaleBench(before?: string): Promise<string> {
  const registry = await startTagRegistry();
  const generated = performance.now();
  const database = await historyDatabase(registry.host, before ?? BENCH_ROOT);
  const generateMs = performance.now() - generated;
  try {
    const after = await measure(BENCH_ROOT, database, registry);
    const earlier = before === undefined ? undefined : await measure(before, database, registry);
    const cell = (result: ScaleResult | undefined, pick: (r: ScaleResult) => string) =>
      result ? pick(result) : '-';
    const row = (name: string, target: string, pick: (r: ScaleResult) => string) => [
      name,
      cell(earlier, pick),
      cell(after, pick),
      target,
    ];
    const kb = (bytes: number | undefined) => (bytes === undefined ? '-' : `${Math.round(bytes / 1024)} KB`);
    return [
      `### Scale: ${PROJECTS} projects x ${STAGES.length} stages, ${DEPLOYS.toLocaleString('en')} deploys of history (generated in ${ms(generateMs)})`,
      '',
      table(
        ['measure', 'before', 'after', 'target'],
        [
          row(`dashboard overview GET / (median of ${REPEATS})`, '<= 100 ms', (r) => ms(r.overviewMs)),
          row('dashboard overview size', '', (r) => kb(r.overviewBytes)),
          row(
            `overview's last page (GET /?page=${Math.ceil(PROJECTS / 20)})`,
            '<= 100 ms',
            (r) => `${ms(r.overviewLastMs)}, ${kb(r.overviewLastBytes)}`,
          ),
          ...Object.keys(after.listMs).map((name) =>
            row(`${name} (median)`, '< 10 ms', (r) => ms(r.listMs[name] ?? Number.NaN)),
          ),
          row('API lists p99', '< 10 ms', (r) => ms(r.listP99)),
          row(
            `first registry poll round (${PROJECTS} projects)`,
            `<= ${POLL_INTERVAL_SECONDS} s`,
            (r) => `${ms(r.pollCycleMs)} (${r.polled} polled)`,
          ),
          row('app RSS after these requests', '<= 120 MB', (r) => mb(r.rss)),
        ],
      ),
    ].join('\n');
  } finally {
    registry.server.close();
    rmSync(join(database, '..'), { recursive: true, force: true });
  }
}
