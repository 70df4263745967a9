import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { INSTANCE_LABEL } from './docker-env.js';
import { TEST_IMAGE_LABEL } from './test-images.js';

const run = promisify(execFile);

/** The PATH of the official node images. */
const NODE_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where this machine's Node 24 and npm live (both copied into the stand-in). */
export interface NodeToolchain {
  /** The node binary itself (symlinks resolved). */
  node: string;
  /** npm's package directory (pure JS, with its bundled node_modules). */
  npmDir: string;
}

/** Finds the node binary running these tests (Node 24) and the npm package on PATH. */
export async function localNodeToolchain(): Promise<NodeToolchain> {
  const node = await realpath(process.execPath);
  const npmCli = await run('sh', ['-c', 'readlink -f "$(command -v npm)"']).then((r) => r.stdout.trim());
  if (npmCli === '') throw new Error('npm is not on PATH: the stand-in node image needs a copy of it');
  const npmDir = dirname(dirname(npmCli));
  await stat(join(npmDir, 'package.json')).catch(() => {
    throw new Error(
      `npm at ${npmCli} is not inside an npm package directory (expected ${npmDir}/package.json)`,
    );
  });
  return { node, npmDir };
}

/**
 * Imports a LOCAL stand-in for `node:24-slim` from this machine's own files (no registry): the
 * Node binary and the shared libraries `ldd` lists for it, npm, busybox as /bin/sh and friends,
 * a `node` user (uid/gid 1000) and CA certificates, laid out as in the official image
 * (/usr/local/bin/node, /usr/local/lib/node_modules/npm). Tagged `dw-test-node:<instanceId>`
 * and labelled, so cleanupInstance removes it; pass it as `--build-arg NODE_IMAGE=<tag>`.
 */
export async function buildNodeBaseImage(instanceId: string): Promise<string> {
  const tag = `dw-test-node:${instanceId}`;
  const tarball = await nodeRootfs();
  await run('docker', [
    'import',
    '--change',
    `ENV PATH=${NODE_IMAGE_PATH} NODE_VERSION=${process.versions.node}`,
    '--change',
    `LABEL ${TEST_IMAGE_LABEL}=1 ${INSTANCE_LABEL}=${instanceId}`,
    '--change',
    'CMD ["node"]',
    tarball,
    tag,
  ]);
  return tag;
}

let rootfsPromise: Promise<string> | undefined;

/** The rootfs tarball, cached in the temp dir per node binary (it does not change within a run). */
function nodeRootfs(): Promise<string> {
  rootfsPromise ??= buildNodeRootfs();
  return rootfsPromise;
}

async function buildNodeRootfs(): Promise<string> {
  const toolchain = await localNodeToolchain();
  const busybox = await stat('/bin/busybox').catch(() => {
    throw new Error('/bin/busybox is missing: sudo apt-get install -y busybox-static');
  });
  const nodeStat = await stat(toolchain.node);
  const key = `${process.versions.node}-${nodeStat.size}-${Math.trunc(nodeStat.mtimeMs)}-${busybox.size}`;
  const cached = join(tmpdir(), `dw-node-rootfs-${key}.tar`);
  if (await exists(cached)) return cached;

  const root = await mkdtemp(join(tmpdir(), 'dw-node-rootfs-'));
  try {
    for (const dir of [
      'bin',
      'etc/ssl/certs',
      'usr/bin',
      'usr/local/bin',
      'usr/local/lib',
      'root',
      'proc',
      'sys',
      'dev',
    ]) {
      await mkdir(join(root, dir), { recursive: true });
    }
    await mkdir(join(root, 'tmp'), { mode: 0o1777 });
    await chmod(join(root, 'tmp'), 0o1777);
    await copyFile(toolchain.node, join(root, 'usr/local/bin/node'));
    await chmod(join(root, 'usr/local/bin/node'), 0o755);
    for (const library of await sharedLibraries(toolchain.node)) {
      await mkdir(join(root, dirname(library)), { recursive: true });
      await copyFile(await realpath(library), join(root, library));
    }
    await cp(toolchain.npmDir, join(root, 'usr/local/lib/node_modules/npm'), {
      recursive: true,
      dereference: true,
    });
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    await installBusybox(root);
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n',
    );
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    await mkdir(join(root, 'home/node'), { recursive: true });
    await chown(join(root, 'home/node'), 1000, 1000);
    await copyFile('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));

    const partial = `${cached}.${randomBytes(4).toString('hex')}`;
    await run('tar', ['--numeric-owner', '-cf', partial, '-C', root, '.']);
    // Concurrent workers may race here; rename is atomic, so the loser overwrites an equal file.
    await rename(partial, cached);
    return cached;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Absolute paths of the libraries the dynamic loader maps for `binary` (glibc, libstdc++, ld-linux). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const paths = stdout
    .split('\n')
    .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
  if (!paths.some((path) => path.includes('ld-linux'))) {
    throw new Error(`ldd ${binary} lists no dynamic loader: is it a static or foreign binary?\n${stdout}`);
  }
  return paths;
}

async function installBusybox(root: string): Promise<void> {
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const { stdout } = await run('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').filter((name) => name !== '' && name !== 'busybox')) {
    await symlink('busybox', join(root, 'bin', applet));
  }
  // npm's bin shims start with `#!/usr/bin/env node`.
  await symlink('/bin/busybox', join(root, 'usr/bin/env'));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
