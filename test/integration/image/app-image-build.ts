import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INSTANCE_LABEL } from '../../helpers/docker-env.js';
import { TEST_IMAGE_LABEL } from '../../helpers/test-images.js';

const run = promisify(execFile);

/** Where the offline build context keeps the npm cache (must not be in .dockerignore). */
const OFFLINE_CACHE_DIR = '.npm-offline-cache';
/** Never copied into the offline build context: large, and .dockerignore drops them anyway. */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'data', 'test-results']);

export interface AppImage {
  tag: string;
  /** How `npm ci` got its packages: from the registry, or from this machine's npm cache. */
  packages: 'registry' | 'local-npm-cache';
}

/**
 * Builds the app image from the repo's Dockerfile FROM `baseImage`, with the classic builder
 * (its intermediate images inherit the base image's labels, so cleanupInstance finds them all).
 *
 * The build containers here cannot use the npm registry, so by default the Dockerfile is built
 * with one difference: each stage that runs `npm ci` first gets this machine's npm cache and
 * `npm_config_offline=true`; the `npm ci` commands themselves run unchanged.
 * DW_IMAGE_ONLINE=1 builds the Dockerfile exactly as users do (needs registry access).
 */
export async function buildAppImage(options: {
  repoRoot: string;
  baseImage: string;
  instanceId: string;
}): Promise<AppImage> {
  const tag = `dw-test-app:${options.instanceId}`;
  const common = [
    'build',
    // A failed RUN would otherwise leave its build container behind.
    '--force-rm',
    '--build-arg',
    `NODE_IMAGE=${options.baseImage}`,
    '--label',
    `${TEST_IMAGE_LABEL}=1`,
    '--label',
    `${INSTANCE_LABEL}=${options.instanceId}`,
    '--tag',
    tag,
  ];
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  if (process.env.DW_IMAGE_ONLINE === '1') {
    await dockerBuild([...common, options.repoRoot], env);
    return { tag, packages: 'registry' };
  }
  const context = await offlineContext(options.repoRoot);
  try {
    await dockerBuild([...common, '--file', join(context, 'Dockerfile.offline'), context], env);
    return { tag, packages: 'local-npm-cache' };
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/**
 * The repo's Dockerfile with, right after the FROM of every stage that runs `npm ci`, a COPY of
 * the npm cache and ENV that makes npm use it offline. Throws when no stage runs `npm ci`.
 */
export function offlineDockerfile(dockerfile: string): string {
  const stages = dockerfile.split(/^(?=FROM\s)/m);
  let patched = 0;
  const result = stages.map((stage) => {
    if (!/^FROM\s/.test(stage) || !/^RUN\s+npm\s+ci\b/m.test(stage)) return stage;
    patched += 1;
    const [from, ...rest] = stage.split('\n');
    return [
      from,
      `COPY ${OFFLINE_CACHE_DIR} /tmp/npm-cache`,
      'ENV npm_config_cache=/tmp/npm-cache npm_config_offline=true npm_config_update_notifier=false',
      ...rest,
    ].join('\n');
  });
  if (patched === 0) throw new Error('no stage of the Dockerfile runs `npm ci`: update offlineDockerfile');
  return result.join('');
}

async function offlineContext(repoRoot: string): Promise<string> {
  const cache = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_cacache');
  await stat(cache).catch(() => {
    throw new Error(
      `no npm cache at ${cache}: run \`npm ci\` once on this machine (it fills the cache), ` +
        'or set DW_IMAGE_ONLINE=1 where the build can reach the npm registry',
    );
  });
  const context = await mkdtemp(join(tmpdir(), 'dw-image-context-'));
  for (const entry of await readdir(repoRoot)) {
    if (!NOT_COPIED.has(entry)) await cp(join(repoRoot, entry), join(context, entry), { recursive: true });
  }
  await mkdir(join(context, OFFLINE_CACHE_DIR));
  // Hard links: the cache is only read, and copying 200+ MB per run would be slow.
  await run('cp', ['-al', cache, join(context, OFFLINE_CACHE_DIR, '_cacache')]).catch(async () => {
    await cp(cache, join(context, OFFLINE_CACHE_DIR, '_cacache'), { recursive: true });
  });
  const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
  await writeFile(join(context, 'Dockerfile.offline'), offlineDockerfile(dockerfile));
  return context;
}

async function dockerBuild(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('docker', args, { env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`docker ${args.join(' ')} failed:\n${stdout.slice(-6000)}\n${stderr.slice(-4000)}`, {
      cause: error,
    });
  }
}
