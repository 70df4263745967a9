import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { INSTANCE_LABEL } from './docker-env.js';
import { buildNodeBaseImage } from './node-base-image.js';
import { TEST_IMAGE_LABEL } from './test-images.js';

const run = promisify(execFile);
const SERVER = fileURLToPath(new URL('../fixtures/stream-app/server.mjs', import.meta.url));

/**
 * Builds `repository:version` for each version: the stand-in Node image
 * (test/helpers/node-base-image.ts) running test/fixtures/stream-app/server.mjs on port 8080
 * (GET /health, GET / "version <v>", SSE on /events, a WebSocket on /ws), labelled with the
 * instance id so cleanupInstance removes it. Local only (no registry): deploy with
 * `pull_policy: never`. Returns the refs in the order given.
 */
export async function buildStreamAppImages(options: {
  repository: string;
  versions: string[];
  instanceId: string;
  /** The server script; default test/fixtures/stream-app/server.mjs next to this file (a bundle gives its own). */
  serverPath?: string;
}): Promise<string[]> {
  const base = await buildNodeBaseImage(options.instanceId);
  const context = await mkdtemp(join(tmpdir(), 'dw-stream-app-'));
  try {
    await copyFile(options.serverPath ?? SERVER, join(context, 'server.mjs'));
    const refs: string[] = [];
    for (const version of options.versions) {
      const ref = `${options.repository}:${version}`;
      await writeFile(
        join(context, 'Dockerfile'),
        [
          `FROM ${base}`,
          'COPY server.mjs /app/server.mjs',
          `ENV VERSION=${version} PORT=8080`,
          'EXPOSE 8080',
          'USER node',
          'CMD ["node", "/app/server.mjs"]',
          '',
        ].join('\n'),
      );
      await run(
        'docker',
        [
          'build',
          '--force-rm',
          '--label',
          `${TEST_IMAGE_LABEL}=1`,
          '--label',
          `${INSTANCE_LABEL}=${options.instanceId}`,
          '--tag',
          ref,
          context,
        ],
        // The classic builder uses the local base image as it is (no registry lookup).
        { env: { ...process.env, DOCKER_BUILDKIT: '0' } },
      );
      refs.push(ref);
    }
    return refs;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
