import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { behaviourScript, type TestImageBehaviour } from './test-image-scripts.js';
import { AUTH_REGISTRY_ENV, AUTH_REGISTRY_LOGIN, OPEN_REGISTRY_ENV } from './test-services.js';

export type { TestImageBehaviour } from './test-image-scripts.js';

const run = promisify(execFile);

/** The open registry of this test run (started by global-setup.ts on a free port): 127.0.0.1:<port>. */
export const OPEN_REGISTRY = registryFromEnv(OPEN_REGISTRY_ENV);
/** The htpasswd registry of this test run (started by global-setup.ts): 127.0.0.1:<port>. */
export const AUTH_REGISTRY = registryFromEnv(AUTH_REGISTRY_ENV);
/** Credentials of AUTH_REGISTRY, shaped like RegistryCredentials of src/docker/engine.ts. */
export const AUTH_REGISTRY_CREDENTIALS = { ...AUTH_REGISTRY_LOGIN, serverAddress: AUTH_REGISTRY };

function registryFromEnv(name: string): string {
  const host = process.env[name];
  if (host) return host;
  // Imported outside a run whose global setup started the registries: fail on use, loudly.
  return `${name.toLowerCase().replaceAll('_', '-')}-is-not-set.invalid`;
}
/** Label every test image carries. */
export const TEST_IMAGE_LABEL = 'docker-watcher.test';

export interface TestImageOptions {
  /** Repository path without registry, e.g. `acme/web`; make it unique per test file. */
  repository: string;
  tag: string;
  behaviour: TestImageBehaviour;
  /** Written into GET / and $DW_TEST_VERSION; defaults to the tag. */
  version?: string;
  /** Port the app listens on inside the container (EXPOSEd); $PORT overrides it at run time. */
  port?: number;
  /** For `slow`: seconds until /health answers 200. */
  healthDelaySeconds?: number;
  /** For `chatty`: how many numbered lines go to each stream (default 20). */
  chattyLines?: number;
  /** Adds a Docker HEALTHCHECK probing /health on `port` (true: every second, 3 retries). */
  healthcheck?: boolean | { intervalSeconds?: number; retries?: number; startPeriodSeconds?: number };
  /** OPEN_REGISTRY (default) or AUTH_REGISTRY (pushed with dw/dw-secret). */
  registry?: string;
  /** Adds docker-watcher.instance-id, so cleanupInstance removes the image too. */
  instanceId?: string;
  labels?: Record<string, string>;
}

export interface TestImage {
  /** `registry/repository:tag` */
  ref: string;
  /** `registry/repository` */
  repository: string;
  tag: string;
  /** Manifest digest in the registry after the push, `sha256:...`. */
  digest: string;
  /** `registry/repository@sha256:...` */
  digestRef: string;
}

/**
 * Builds a busybox image with `docker import`, pushes it to a local registry and returns its
 * references. The local copy stays tagged; remove it with cleanupInstance (pass instanceId) or
 * `docker rmi`.
 */
export async function buildTestImage(options: TestImageOptions): Promise<TestImage> {
  const registry = options.registry ?? OPEN_REGISTRY;
  const port = options.port ?? 8080;
  const repository = `${registry}/${options.repository}`;
  const ref = `${repository}:${options.tag}`;
  const workDir = await mkdtemp(join(tmpdir(), 'dw-image-'));
  try {
    const tarball = join(workDir, 'rootfs.tar');
    await copyFile(await baseRootfs(), tarball);
    await mkdir(join(workDir, 'app'));
    await mkdir(join(workDir, 'www'));
    const script = behaviourScript({
      behaviour: options.behaviour,
      port,
      healthDelaySeconds: options.healthDelaySeconds ?? 3,
      chattyLines: options.chattyLines ?? 20,
    });
    await writeFile(join(workDir, 'app', 'run.sh'), script, { mode: 0o755 });
    await writeFile(
      join(workDir, 'www', 'index.html'),
      `docker-watcher test app version ${options.version ?? options.tag}\n`,
    );
    if (
      options.behaviour === 'healthy' ||
      options.behaviour === 'chatty' ||
      options.behaviour === 'ignore-term'
    ) {
      await writeFile(join(workDir, 'www', 'health'), 'ok\n');
    }
    await run('tar', ['--owner=0', '--group=0', '-rf', tarball, '-C', workDir, 'app', 'www']);
    await run('docker', [
      'import',
      ...importChanges(options, port).flatMap((change) => ['--change', change]),
      tarball,
      ref,
    ]);
    const digest = await push(ref, registry);
    return { ref, repository, tag: options.tag, digest, digestRef: `${repository}@${digest}` };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function importChanges(options: TestImageOptions, port: number): string[] {
  const labels: Record<string, string> = { ...options.labels, [TEST_IMAGE_LABEL]: '1' };
  if (options.instanceId !== undefined) labels['docker-watcher.instance-id'] = options.instanceId;
  const changes = [
    ...Object.entries(labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
    `ENV PATH=/bin PORT=${port} DW_TEST_VERSION=${JSON.stringify(options.version ?? options.tag)}`,
    `EXPOSE ${port}/tcp`,
    'ENTRYPOINT ["/bin/sh", "/app/run.sh"]',
  ];
  if (options.healthcheck !== undefined && options.healthcheck !== false) {
    const check = options.healthcheck === true ? {} : options.healthcheck;
    changes.push(
      `HEALTHCHECK --interval=${check.intervalSeconds ?? 1}s --timeout=2s --retries=${check.retries ?? 3}` +
        (check.startPeriodSeconds === undefined ? '' : ` --start-period=${check.startPeriodSeconds}s`) +
        ` CMD wget -q -O /dev/null http://127.0.0.1:${port}/health || exit 1`,
    );
  }
  return changes;
}

async function push(ref: string, registry: string): Promise<string> {
  const env = { ...process.env };
  if (registry === AUTH_REGISTRY) {
    // A private DOCKER_CONFIG keeps the login out of the user's ~/.docker/config.json.
    env.DOCKER_CONFIG = await authDockerConfig();
  }
  const { stdout } = await run('docker', ['push', ref], { env });
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
  if (digest === undefined) throw new Error(`docker push ${ref}: no digest in output:\n${stdout}`);
  return digest;
}

async function authDockerConfig(): Promise<string> {
  const dir = join(tmpdir(), `dw-docker-config-${process.pid}`);
  await mkdir(dir, { recursive: true });
  // One login per test process; gone with the process, so no credentials stay behind in /tmp.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const login = run(
    'docker',
    ['login', AUTH_REGISTRY, '-u', AUTH_REGISTRY_CREDENTIALS.username, '--password-stdin'],
    {
      env: { ...process.env, DOCKER_CONFIG: dir },
    },
  );
  login.child.stdin?.end(AUTH_REGISTRY_CREDENTIALS.password);
  await login;
  return dir;
}

let rootfsPromise: Promise<string> | undefined;

/** A tarball of busybox plus applet symlinks, cached in the temp dir across runs. */
function baseRootfs(): Promise<string> {
  rootfsPromise ??= buildBaseRootfs();
  return rootfsPromise;
}

async function buildBaseRootfs(): Promise<string> {
  const busybox = await stat('/bin/busybox').catch(() => {
    throw new Error('/bin/busybox is missing: sudo apt-get install -y busybox-static');
  });
  const cached = join(tmpdir(), `dw-busybox-rootfs-${busybox.size}-${Math.trunc(busybox.mtimeMs)}.tar`);
  if (
    await stat(cached).then(
      () => true,
      () => false,
    )
  )
    return cached;
  const root = await mkdtemp(join(tmpdir(), 'dw-rootfs-'));
  try {
    for (const dir of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev']) await mkdir(join(root, dir));
    await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
    const { stdout } = await run('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n').filter((name) => name !== '' && name !== 'busybox')) {
      await symlink('busybox', join(root, 'bin', applet));
    }
    const partial = `${cached}.${randomBytes(4).toString('hex')}`;
    await run('tar', ['--owner=0', '--group=0', '-cf', partial, '-C', root, '.']);
    // Concurrent workers may race here; rename is atomic, so the loser just overwrites an equal file.
    await rename(partial, cached);
    return cached;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
