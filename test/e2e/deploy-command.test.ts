import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCommand } from '../../app/commands/deploy.js';
import { API_TOKEN, appFixture, GLOBAL_SECRET, type AppFixture } from '../fakes/app-fixture.js';
import { listen } from '../helpers/listening-app.js';

describe('docker-watcher deploy (CLI) against a listening app', () => {
  let fixture: AppFixture;
  let server: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    fixture = appFixture({
      autoRun: true,
      outcome: (intent) =>
        intent.tag === 'dev-broken' ? { failAt: 'pull', message: 'manifest unknown' } : {},
    });
    server = await listen(fixture.app);
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.deploys.idle();
    fixture?.store.close();
  });

  async function deploy(args: string[], env: NodeJS.ProcessEnv = { DOCKER_WATCHER_SECRET: GLOBAL_SECRET }) {
    let stdout = '';
    let stderr = '';
    const code = await deployCommand(args, {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env,
    });
    return { code, stdout, stderr };
  }

  const base = () => [
    '--url',
    server.url,
    '--project',
    'web',
    '--image',
    '127.0.0.1:5000/acme/web',
    '--repository',
    'acme/web',
    '--sha',
    'abcdef1234567',
  ];

  it('deploys and prints the phases like the action', async () => {
    const result = await deploy([...base(), '--tag', 'dev-1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('[health] health started');
    expect(result.stdout).toMatch(/^status=succeeded$/m);
    expect(fixture.deploys.submitted.at(-1)).toMatchObject({
      tag: 'dev-1',
      source: { repository: 'acme/web' },
    });
  });

  it('in a pull_request run sends the head commit of the event payload, --sha overriding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-cli-event-'));
    const event = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
      name: string;
      examples: { action?: string; pull_request: { head: { sha: string } } }[];
    }[];
    const payload = event
      .find((e) => e.name === 'pull_request')!
      .examples.find((e) => e.action === 'opened')!;
    const path = join(dir, 'event.json');
    writeFileSync(path, JSON.stringify(payload));
    const runner = {
      DOCKER_WATCHER_SECRET: GLOBAL_SECRET,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: path,
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REPOSITORY: 'acme/web',
    };
    try {
      const args = ['--url', server.url, '--project', 'web', '--image', '127.0.0.1:5000/acme/web'];
      expect((await deploy([...args, '--tag', 'dev-pr'], runner)).code).toBe(0);
      expect(fixture.deploys.submitted.at(-1)?.source?.sha).toBe(payload.pull_request.head.sha);
      expect((await deploy([...args, '--tag', 'dev-pr2', '--sha', 'abcdef1234567'], runner)).code).toBe(0);
      expect(fixture.deploys.submitted.at(-1)?.source?.sha).toBe('abcdef1234567');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 naming the phase when the deploy fails', async () => {
    const result = await deploy([...base(), '--tag', 'dev-broken']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed in phase "pull": manifest unknown/);
  });

  it('returns after acceptance with --no-wait', async () => {
    const result = await deploy([...base(), '--tag', 'dev-2', '--no-wait']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^status=queued$/m);
    expect(result.stdout).not.toContain('[health]');
  });

  it('takes the secret only from the environment', async () => {
    const result = await deploy([...base(), '--tag', 'dev-3'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DOCKER_WATCHER_SECRET');
    expect((await deploy([...base(), '--tag', 'dev-3', '--secret', 'x'])).code).toBe(2);
  });

  it('explains missing flags and a bad tag', async () => {
    expect((await deploy(['--url', server.url])).stderr).toContain('missing --project, --tag');
    const bad = await deploy([...base(), '--tag', '-x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tag');
  });

  describe('--stage without --image: the manual deploy with the API token', () => {
    const stageArgs = (tag: string) => [
      '--url',
      server.url,
      '--project',
      'web',
      '--stage',
      'dev',
      '--tag',
      tag,
    ];

    it('deploys the configured image, follows it, and needs no secret, commit or registry', async () => {
      const result = await deploy(stageArgs('dev-7'), { DOCKER_WATCHER_TOKEN: API_TOKEN });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`docker-watcher: deploying tag dev-7 to web/dev via ${server.url}`);
      expect(result.stdout).toContain('[health] health started');
      expect(result.stdout).toMatch(/^status=succeeded$/m);
      expect(fixture.deploys.submitted.at(-1)).toMatchObject({
        project: 'web',
        stage: 'dev',
        tag: 'dev-7',
        image: '127.0.0.1:5000/acme/web',
        trigger: 'manual',
      });
    });

    it('takes the app URL from DOCKER_WATCHER_URL', async () => {
      const args = ['--project', 'web', '--stage', 'dev', '--tag', 'dev-8'];
      const result = await deploy(args, { DOCKER_WATCHER_TOKEN: API_TOKEN, DOCKER_WATCHER_URL: server.url });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`via ${server.url}`);
    });

    it('names what the app refused: a wrong token, a tag outside the pattern, a failed deploy', async () => {
      const wrong = await deploy(stageArgs('dev-9'), { DOCKER_WATCHER_TOKEN: 'wrong' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/answered 401/);
      const outside = await deploy([...stageArgs('v1')], { DOCKER_WATCHER_TOKEN: API_TOKEN });
      expect(outside.code).toBe(1);
      expect(outside.stderr).toContain('v1');
      const failed = await deploy(stageArgs('dev-broken'), { DOCKER_WATCHER_TOKEN: API_TOKEN });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/failed in phase "pull": manifest unknown/);
    });

    it('explains a missing token or flag', async () => {
      const noToken = await deploy(stageArgs('dev-10'), { DOCKER_WATCHER_CONFIG: '/nonexistent.yaml' });
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toContain('DOCKER_WATCHER_TOKEN');
      const noTag = await deploy(['--project', 'web', '--stage', 'dev'], { DOCKER_WATCHER_TOKEN: API_TOKEN });
      expect(noTag.code).toBe(2);
      expect(noTag.stderr).toContain('missing --tag');
    });
  });
});
