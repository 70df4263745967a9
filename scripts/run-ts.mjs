#!/usr/bin/env node
// Runs a TypeScript entry (bench, doc generators) without a build step: esbuild bundles it with
// the project's own sources inlined and npm packages left external, then Node runs the bundle.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
// Inside the project so that Node resolves the external packages from its node_modules.
const cacheDir = resolve('node_modules/.cache/dw-run');
mkdirSync(cacheDir, { recursive: true });
const outfile = join(cacheDir, `entry-${process.pid}.mjs`);
await build({
  entryPoints: [resolve(entry)],
  outfile,
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
process.argv = [process.argv[0], resolve(entry), ...args];
await import(pathToFileURL(outfile).href);
