import { readFileSync, statSync } from 'node:fs';
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
      ],
    ),
  ].join('\n');
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
