import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BENCH_ROOT, mb, quickstartConfig, startAppProcess } from './app-process.js';
import { ms, table } from './stats.js';

const IDLE_SECONDS = 10;
const STARTS = 3;

interface IdleResult {
  startMs: number[];
  idleRss: number;
}

async function measure(root: string, nodeOptions: string[]): Promise<IdleResult> {
  const startMs: number[] = [];
  let idleRss = Number.NaN;
  for (let i = 0; i < STARTS; i++) {
    const app = await startAppProcess(root, quickstartConfig(root), nodeOptions);
    try {
      startMs.push(app.startMs);
      if (i === 0) {
        await new Promise((done) => setTimeout(done, IDLE_SECONDS * 1000));
        idleRss = app.rss();
      }
    } finally {
      await app.stop();
    }
  }
  return { startMs, idleRss };
}

/**
 * Issue 21's idle figures: the app as `npm start` runs it (its node options included) with the
 * quickstart config, RSS 10 s after start, and the time from spawn to the first 200 from
 * /healthz (best of three starts). With `before`, the same for that checkout.
 */
export async function idleBench(before?: string): Promise<string> {
  const after = await measure(BENCH_ROOT, startNodeOptions(BENCH_ROOT));
  const earlier = before === undefined ? undefined : await measure(before, startNodeOptions(before));
  const best = (result: IdleResult | undefined) => (result ? ms(Math.min(...result.startMs)) : '-');
  const bundle = statSync(join(BENCH_ROOT, 'action/dist/index.js')).size;
  const coldStart = await actionColdStart(BENCH_ROOT);
  const coldStartBefore = before === undefined ? undefined : await actionColdStart(before);
  const bundleBefore = before === undefined ? undefined : statSync(join(before, 'action/dist/index.js')).size;
  return [
    `### Idle and start (quickstart config, the app as \`npm start\` runs it)`,
    '',
    table(
      ['measure', 'before', 'after', 'target'],
      [
        [
          `idle RSS, ${IDLE_SECONDS} s after start`,
          earlier ? mb(earlier.idleRss) : '-',
          mb(after.idleRss),
          '<= 70 MB',
        ],
        [`start to the first 200 from /healthz (best of ${STARTS})`, best(earlier), best(after), '<= 300 ms'],
        [
          'action bundle (action/dist/index.js)',
          bundleBefore === undefined ? '-' : kb(bundleBefore),
          kb(bundle),
          '<= 1024 KB',
        ],
        [
          `action cold start: process start to the deploy request sent (best of ${STARTS})`,
          coldStartBefore === undefined ? '-' : ms(coldStartBefore),
          ms(coldStart),
          'measured',
        ],
      ],
    ),
  ].join('\n');
}

/**
 * Spawns `root`'s action bundle as a runner does (inputs as INPUT_* variables) against a
 * loopback server, and times spawn to the arrival of the signed deploy request (answered 401:
 * the step then fails, which is not what is measured). Best of STARTS.
 */
async function actionColdStart(root: string): Promise<number> {
  let arrived: (() => void) | undefined;
  const server = createServer((req, res) => {
    arrived?.();
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bench"}');
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  const times: number[] = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      const started = performance.now();
      const request = new Promise<void>((resolve) => (arrived = resolve));
      const child = spawn(process.execPath, [join(root, 'action/dist/index.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          INPUT_URL: `http://127.0.0.1:${port}`,
          INPUT_SECRET: 'bench-secret',
          INPUT_PROJECT: 'web',
          INPUT_IMAGE: '127.0.0.1:1/bench/web',
          INPUT_TAG: 'dev-1',
          INPUT_WAIT: 'false',
          INPUT_TIMEOUT: '60',
          GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
          GITHUB_REPOSITORY: 'acme/web',
          GITHUB_REF: 'refs/heads/main',
        },
        stdio: 'ignore',
      });
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      await Promise.race([
        request,
        exited.then(() => {
          throw new Error(`the action in ${root} exited before it sent the deploy request`);
        }),
      ]);
      times.push(performance.now() - started);
      await exited;
    }
  } finally {
    server.close();
  }
  return Math.min(...times);
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

/** The node options in the `start` script of `root`'s package.json (`node [OPTIONS] dist/.../main.js`). */
export function startNodeOptions(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(
    1,
    words.findIndex((word) => word.endsWith('/main.js')),
  );
}
