#!/usr/bin/env node
// `npm start`'s prestart: compiles app/ and src/ into dist/ only when they changed since the last
// build, so a start with an up-to-date dist/ takes milliseconds instead of a 7-8 s `tsc` run.
// "Changed" is a hash of the inputs (paths and contents of app/, src/, the tsconfigs, package.json,
// the lock file and the bundler script), kept in dist/.source-hash: it survives git checkouts that reset mtimes.
// `--check` only reports: exit 1 when a build would be needed (CI uses it). `--always` builds
// whatever the hash says (`npm run build`), and records it too: a start right after a build
// does not compile again.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const stampFile = join(root, 'dist', '.source-hash');
const INPUTS = [
  'app',
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
  'scripts/bundle-app.mjs',
];

function isDirectory(path) {
  return existsSync(path) && statSync(path).isDirectory();
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The hash of every input's path and contents, in a stable order. */
function sourceHash() {
  const hash = createHash('sha256');
  const paths = INPUTS.map((input) => join(root, input)).flatMap((path) =>
    isDirectory(path) ? filesUnder(path) : existsSync(path) ? [path] : [],
  );
  for (const path of paths.sort()) {
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

const current = sourceHash();
const built =
  existsSync(stampFile) && existsSync(join(root, 'dist', 'bundle', 'main.js'))
    ? readFileSync(stampFile, 'utf8').trim()
    : '';
if (current === built && !process.argv.includes('--always')) {
  process.stderr.write('dist/ is up to date: not compiling\n');
  process.exit(0);
}
if (process.argv.includes('--check')) {
  process.stderr.write('dist/ is stale: `npm start` would compile (run npm run build)\n');
  process.exit(1);
}
if (current !== built) {
  process.stderr.write('compiling app/ and src/ into dist/ (sources changed since the last build)\n');
}
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-app.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (bundle.status !== 0) process.exit(bundle.status ?? 1);
writeFileSync(stampFile, current + '\n');
