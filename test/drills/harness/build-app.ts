import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * Where the drills' build of the app lives: inside the checkout, so Node finds node_modules, and
 * not in node_modules itself, which several checkouts may share (one's build would replace another's).
 */
export const DRILL_APP_ENTRY = resolve(import.meta.dirname, '../../../test-results/dw-drills/main.mjs');

/**
 * Global setup of the drill suite: bundles app/main.ts (the same sources `npm run build`
 * compiles) into a private file. Unlike dist/, which every engineer rebuilds, this copy cannot
 * change under a running drill, and a type error elsewhere in the tree does not block it.
 */
export default async function buildApp(): Promise<void> {
  mkdirSync(join(DRILL_APP_ENTRY, '..'), { recursive: true });
  // Each run writes a fresh drill table (see drill-report.ts).
  rmSync(resolve(import.meta.dirname, '../../../test-results/drills.md'), { force: true });
  await build({
    entryPoints: [resolve(import.meta.dirname, '../../../app/main.ts')],
    outfile: DRILL_APP_ENTRY,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
}
