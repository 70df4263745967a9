import { execFile } from 'node:child_process';
import { chown, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupInstance,
  dockerSocket,
  requireDocker,
  testDocker,
  testInstanceId,
} from '../../helpers/docker-env.js';
import { buildNodeBaseImage } from '../../helpers/node-base-image.js';
import { buildTestImage, OPEN_REGISTRY } from '../../helpers/test-images.js';
import { buildAppImage, type AppImage } from './app-image-build.js';
import { composeRunArgs } from './compose-run-args.js';

/**
 * The app as users install it: the image from the repo's Dockerfile (FROM a local stand-in for
 * node:24-slim, see node-base-image.ts; npm ci offline from the local cache, see
 * app-image-build.ts), run the way compose.yaml says, deploying through the Docker socket.
 * Differences from a real install: random host port on 127.0.0.1, a test network instead of
 * staging-net, the HEALTHCHECK every 2 s instead of 30 s (same command), and
 * DOCKER_WATCHER_INSTANCE_ID so what the app creates carries this run's clean-up label.
 */
const run = promisify(execFile);
const hasDocker = await requireDocker();
const repoRoot = join(import.meta.dirname, '../../..');
/** `docker compose` or `docker-compose` (.ci/services.sh installs Debian's docker-compose). */
const composeCli = await findComposeCli();

async function findComposeCli(): Promise<string[] | undefined> {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const [command = '', ...args] = candidate;
    if (
      await run(command, [...args, 'version']).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

describe.skipIf(!hasDocker)('the app image', () => {
  const instanceId = testInstanceId();
  const short = instanceId.slice(-8);
  const network = `dw-img-${short}`;
  const secret = 'image-test-signing-secret';
  const repository = `image-${short}/web`;
  let folder: string;
  let image: AppImage;
  let containerId: string;
  let url: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dw-compose-'));
    const [baseImage] = await Promise.all([
      buildNodeBaseImage(instanceId),
      buildTestImage({ repository, tag: 'dev-1', behaviour: 'healthy', instanceId }),
      testDocker().createNetwork({ Name: network, Labels: { 'docker-watcher.instance-id': instanceId } }),
      writeComposeFolder(),
    ]);
    image = await buildAppImage({ repoRoot, baseImage, instanceId });
    const args = composeRunArgs(await readFile(join(repoRoot, 'compose.yaml'), 'utf8'), 'docker-watcher', {
      folder,
      image: image.tag,
      network,
      variables: { DOCKER_GID: String((await stat(dockerSocket())).gid) },
      hostPaths: { '/var/run/docker.sock': dockerSocket() },
      extra: ['--name', `dw-img-app-${short}`, '--label', `docker-watcher.instance-id=${instanceId}`],
    });
    // Same HEALTHCHECK command as the image; only the interval, so the test does not wait 30 s.
    args.splice(2, 0, '--health-interval', '2s');
    containerId = (await run('docker', args)).stdout.trim();
    const port = (await run('docker', ['port', containerId, '8080/tcp'])).stdout.trim().split(':').at(-1);
    url = `http://127.0.0.1:${port}`;
  }, 300_000);

  afterAll(async () => {
    if (containerId && process.env.DW_IMAGE_KEEP_LOGS === '1') {
      console.log((await run('docker', ['logs', containerId])).stdout);
    }
    await cleanupInstance(instanceId);
    // The base image has child images until the first pass removed them.
    await cleanupInstance(instanceId);
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 120_000);

  /** The compose folder a user prepares: config, env file, envs/ and data/ owned by uid 1000. */
  async function writeComposeFolder(): Promise<void> {
    await writeFile(
      join(folder, 'docker-watcher.yaml'),
      [
        'global:',
        '  domain: localhost',
        `  network: ${network}`,
        '  health: { deadline_seconds: 30, interval_seconds: 0.5, timeout_seconds: 2 }',
        '  docker: { drain_seconds: 0, stop_timeout_seconds: 2 }',
        'projects:',
        '  web:',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    port: 8080',
        '    poll: false',
        '    healthcheck: /health',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(folder, 'docker-watcher.env'),
      `DOCKER_WATCHER_SECRET=${secret}\nDOCKER_WATCHER_TOKEN=image-test-token\nDOCKER_WATCHER_INSTANCE_ID=${instanceId}\n`,
    );
    await mkdir(join(folder, 'envs'));
    await mkdir(join(folder, 'data'));
    await chown(join(folder, 'data'), 1000, 1000);
  }

  async function health(): Promise<string> {
    const inspected = await testDocker().getContainer(containerId).inspect();
    if (!inspected.State.Running) {
      const logs = await run('docker', ['logs', containerId]);
      throw new Error(
        `the app container stopped (exit ${inspected.State.ExitCode}):\n${logs.stdout}${logs.stderr}`,
      );
    }
    return inspected.State.Health?.Status ?? 'none';
  }

  it('becomes healthy by its own HEALTHCHECK and answers /healthz', async () => {
    let status = await health();
    for (const deadline = Date.now() + 60_000; status !== 'healthy' && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await health();
    }
    expect(status).toBe('healthy');
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
  }, 90_000);

  it('runs as the non-root node user, with the socket group added', async () => {
    const { stdout } = await run('docker', ['exec', containerId, 'id']);
    expect(stdout).toMatch(/^uid=1000\(node\)/);
    expect(stdout).toContain(String((await stat(dockerSocket())).gid));
  });

  it('deploys a test image through the bundled action, reaching it by name on the network', async () => {
    const result = await run(process.execPath, [join(repoRoot, 'action/dist/index.js')], {
      env: {
        PATH: process.env.PATH,
        INPUT_URL: url,
        INPUT_SECRET: secret,
        INPUT_PROJECT: 'web',
        INPUT_IMAGE: `${OPEN_REGISTRY}/${repository}`,
        INPUT_TAG: 'dev-1',
        INPUT_WAIT: 'true',
        INPUT_TIMEOUT: '60',
        GITHUB_REPOSITORY: 'acme/web',
        GITHUB_SHA: 'a'.repeat(40),
        GITHUB_SERVER_URL: 'https://github.com',
      },
    }).then(
      (r) => ({ code: 0, log: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, log: e.stdout + e.stderr }),
    );
    expect(result.code, result.log).toBe(0);
    const [deployed] = await testDocker().listContainers({
      filters: { label: [`docker-watcher.instance-id=${instanceId}`, 'docker-watcher.project=web'] },
    });
    expect(deployed?.State).toBe('running');
    // Published on the host's 127.0.0.1 only: the app in its container can only have used the network.
    expect(Object.keys(deployed?.NetworkSettings.Networks ?? {})).toContain(network);
    const name = deployed?.Names[0]?.slice(1) ?? '';
    const inApp = await run('docker', [
      'exec',
      containerId,
      'node',
      '-e',
      `fetch('http://${name}:8080/').then(async (r) => console.log(await r.text()))`,
    ]);
    expect(inApp.stdout).toContain('version dev-1');
  }, 120_000);

  it('declares USER node and a HEALTHCHECK on /healthz', async () => {
    const { Config } = await testDocker().getImage(image.tag).inspect();
    expect(Config.User).toBe('node');
    // The probe reads global.listen from the config (docker-watcher healthcheck), not a fixed port.
    expect(Config.Healthcheck?.Test).toEqual(['CMD', 'node', 'dist/bundle/main.js', 'healthcheck']);
  });

  // .ci/services.sh installs docker-compose: under CI=true a missing one fails, never skips.
  it.skipIf(composeCli === undefined && process.env.CI !== 'true')(
    'compose.yaml passes `docker compose config`',
    async () => {
      if (composeCli === undefined)
        throw new Error('no `docker compose` or `docker-compose`: run bash .ci/services.sh');
      const [command = 'docker', ...prefix] = composeCli;
      // In the folder a user prepares (compose needs the env_file it names to exist).
      await copyFile(join(repoRoot, 'compose.yaml'), join(folder, 'compose.yaml'));
      const { stdout } = await run(command, [...prefix, '-f', join(folder, 'compose.yaml'), 'config'], {
        env: { ...process.env, DOCKER_GID: '999' },
      });
      expect(stdout).toContain('docker-watcher');
      expect(stdout).toMatch(/\/config\/data/);
    },
  );
});
