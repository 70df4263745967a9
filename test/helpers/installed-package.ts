import { execFile } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIG = { maxBuffer: 64 * 1024 * 1024 };

/** The package as `npm install -g` left it in a temporary prefix, outside the repository. */
export interface InstalledPackage {
  /** The temporary folder that holds the tarball, the prefix and room for a user's files. */
  dir: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** `<prefix>/bin/docker-watcher`: the command npm linked. */
  bin: string;
  /** `<prefix>/lib/node_modules/docker-watcher`: the installed package. */
  packageDir: string;
}

/**
 * Where to run `npm pack`: the repository itself, or, when its node_modules is a symlink (a git
 * worktree sharing another checkout's node_modules), a copy of what the package ships with
 * node_modules hard-linked in. npm bundles the dependencies from the real path of a symlinked
 * node_modules and writes `package/../../…` entries, so the copy gives the tarball a fresh clone
 * gives.
 */
async function packDir(dir: string): Promise<string> {
  const modules = join(ROOT, 'node_modules');
  if (!(await lstat(modules)).isSymbolicLink()) return ROOT;
  const stage = join(dir, 'stage');
  await mkdir(stage);
  const shipped = (await readdir(ROOT)).filter((name) =>
    /^(bin|dist|config|package(-lock)?\.json|README\.md|LICENSE|docker-watcher\.(example\.yaml|schema\.json))$/.test(
      name,
    ),
  );
  for (const name of shipped) await cp(join(ROOT, name), join(stage, name), { recursive: true });
  const real = await realpath(modules);
  // Hard links when the filesystem allows (instant), else a copy.
  await run('cp', ['-al', real, join(stage, 'node_modules')]).catch(async () => {
    await rm(join(stage, 'node_modules'), { recursive: true, force: true });
    await run('cp', ['-r', real, join(stage, 'node_modules')]);
  });
  return stage;
}

/**
 * Builds, packs (`npm pack`) and installs the package with `npm install -g --prefix <tmp>
 * --offline`, as a user installs the tarball: the dependencies come from the tarball (they are
 * bundled), nothing from a registry, no devDependencies. The build runs first and the pack skips
 * its `prepare` (which is that same build), so a worktree's staged copy packs the same files.
 */
export async function installPackedPackage(): Promise<InstalledPackage> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'dw-package-')));
  await run('npm', ['run', 'build', '--silent'], { cwd: ROOT, ...BIG });
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: await packDir(dir),
    ...BIG,
  });
  const tarball = join(dir, stdout.trim().split('\n').at(-1) ?? '');
  const prefix = join(dir, 'prefix');
  await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      tarball,
    ],
    { cwd: dir, ...BIG },
  );
  return {
    dir,
    tarball,
    bin: join(prefix, 'bin', 'docker-watcher'),
    packageDir: join(prefix, 'lib', 'node_modules', 'docker-watcher'),
  };
}
