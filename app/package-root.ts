import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The docker-watcher package's own directory: found by walking up from this file, since the code
 * runs from source (app/) in tests, compiled (dist/app/) and bundled (dist/bundle/) in production.
 */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'docker-watcher'
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`package.json of docker-watcher not found above ${start}`);
  }
}

/** The version in package.json. */
export const APP_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
