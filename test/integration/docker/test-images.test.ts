import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireDocker, useTestInstance } from '../../helpers/docker-env.js';
import { buildTestImage, type TestImage, type TestImageOptions } from '../../helpers/test-images.js';

const run = promisify(execFile);
const hasDocker = await requireDocker();

/** The behaviours other suites rely on, checked with the plain docker CLI. */
describe.skipIf(!hasDocker)('test images', () => {
  const instanceId = useTestInstance();
  const images = new Map<string, TestImage>();

  beforeAll(async () => {
    const variants: Omit<TestImageOptions, 'repository' | 'instanceId'>[] = [
      { tag: 'unhealthy', behaviour: 'unhealthy', healthcheck: true },
      { tag: 'slow', behaviour: 'slow', healthDelaySeconds: 2 },
      { tag: 'no-listen', behaviour: 'no-listen' },
      { tag: 'port', behaviour: 'healthy', port: 9000, version: 'v9' },
    ];
    for (const image of await Promise.all(
      variants.map((variant) =>
        buildTestImage({ ...variant, repository: `images-test/${instanceId}`, instanceId }),
      ),
    )) {
      images.set(image.tag, image);
    }
  });

  async function runImage(tag: string, port = 8080): Promise<{ id: string; url: string }> {
    const ref = images.get(tag)?.ref ?? '';
    const { stdout } = await run('docker', [
      'run',
      '-d',
      '--label',
      `docker-watcher.instance-id=${instanceId}`,
      '-p',
      `127.0.0.1::${port}`,
      ref,
    ]);
    const id = stdout.trim();
    const { stdout: published } = await run('docker', ['port', id, `${port}/tcp`]);
    return { id, url: `http://${published.split('\n')[0]?.trim() ?? ''}` };
  }

  async function status(url: string): Promise<number | 'refused'> {
    return fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status,
      () => 'refused' as const,
    );
  }

  async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('unhealthy serves / but answers /health with non-2xx, and its HEALTHCHECK turns unhealthy', async () => {
    const { id, url } = await runImage('unhealthy');
    await until('the app to listen', async () => (await status(`${url}/`)) === 200);
    expect(await status(`${url}/health`)).toBe(404);
    await until('docker to mark it unhealthy', async () => {
      const { stdout } = await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', id]);
      return stdout.trim() === 'unhealthy';
    });
  });

  it('slow answers /health only after the delay', async () => {
    const { url } = await runImage('slow');
    await until('the app to listen', async () => (await status(`${url}/`)) === 200);
    const listening = Date.now();
    expect(await status(`${url}/health`)).toBe(404);
    await until('health to pass', async () => (await status(`${url}/health`)) === 200);
    expect(Date.now() - listening).toBeGreaterThan(500);
  });

  it('no-listen runs without a listener and stops promptly', async () => {
    const { id, url } = await runImage('no-listen');
    await until('the shell to run', async () =>
      (await run('docker', ['logs', id])).stdout.includes('running'),
    );
    expect(await status(`${url}/`)).toBe('refused');
    const begin = Date.now();
    await run('docker', ['stop', '-t', '10', id]);
    expect(Date.now() - begin).toBeLessThan(5000);
  });

  it('listens on the chosen port and shows the version', async () => {
    const { url } = await runImage('port', 9000);
    await until('the app to listen', async () => (await status(`${url}/`)) === 200);
    expect(await (await fetch(`${url}/`)).text()).toContain('version v9');
  });
});
