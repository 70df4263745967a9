#!/usr/bin/env node
// Refreshes the API descriptions the tests validate against (test/fixtures/specs/) from a folder
// laid out like them, by default ../shared/specs beside the checkout:
//   node scripts/refresh-specs.mjs [SOURCE_DIR]
// Copies each spec with its SOURCE.txt (origin, version, licence), replacing what was there, and
// checks every sha256 a SOURCE.txt states. Review the diff, then commit test/fixtures/specs/.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(process.argv[2] ?? join(root, '..', 'shared', 'specs'));
const target = join(root, 'test', 'fixtures', 'specs');
/** Spec folder -> the entries the tests read (files or folders), SOURCE.txt always included. */
const SPECS = {
  gitea: ['swagger.v1.json'],
  'nginx-proxy-manager': ['swagger.json', 'common.json', 'components', 'paths'],
};

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

for (const [spec, entries] of Object.entries(SPECS)) {
  const from = join(source, spec);
  for (const entry of [...entries, 'SOURCE.txt']) {
    if (!existsSync(join(from, entry))) {
      console.error(`refresh-specs: ${join(from, entry)} is missing; nothing was changed for ${spec}`);
      process.exit(1);
    }
  }
  const to = join(target, spec);
  for (const entry of [...entries, 'SOURCE.txt']) {
    rmSync(join(to, entry), { recursive: true, force: true });
    cpSync(join(from, entry), join(to, entry), { recursive: true });
  }
  // The source may be read-only; the copies are ordinary files of the checkout.
  const chmodAll = (dir) => {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) chmodAll(join(dir, e.name));
      else chmodSync(join(dir, e.name), 0o644);
    }
  };
  chmodAll(to);
  const stated = readFileSync(join(to, 'SOURCE.txt'), 'utf8').matchAll(/sha256 of (\S+): ([0-9a-f]{64})/g);
  for (const [, file, hash] of stated) {
    if (sha256(join(to, file)) !== hash) {
      console.error(`refresh-specs: ${spec}/${file} does not match the sha256 its SOURCE.txt states`);
      process.exit(1);
    }
  }
  const files = walk(to);
  console.log(`${spec}: ${files.length} file(s) from ${relative(root, from) || from}`);
}
