import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../app/cli.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { LiveVersion } from '../../src/core/deploy-types.js';
import { API_TOKEN, appFixture, GLOBAL_SECRET, TEST_CONFIG, type AppFixture } from '../fakes/app-fixture.js';
import { listen } from '../helpers/listening-app.js';

/** TEST_CONFIG with a prod stage of `web` that only takes what is live in dev. */
const PROMOTING: ConfigInput = {
  ...TEST_CONFIG,
  projects: {
    ...TEST_CONFIG.projects,
    web: {
      image: '127.0.0.1:5000/acme/web',
      port: 8080,
      stages: {
        dev: { tag_pattern: 'dev-*', auto_deploy: true },
        prod: { tag_pattern: 'v*', promote_from: 'dev', confirm: true },
      },
    },
  },
};

const DIGEST = `sha256:${'9b30'.repeat(16)}`;

/** Runs the CLI as a person does: a process of its own, from the sources, with only env and flags. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'app/main.ts', ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI outside CI, spawned against a listening app', () => {
  let fixture: AppFixture;
  let server: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    fixture = appFixture({ autoRun: true, config: PROMOTING });
    server = await listen(fixture.app);
    const live: LiveVersion = {
      project: 'web',
      stage: 'dev',
      deployId: 'd-dev-1',
      tag: 'dev-1',
      image: '127.0.0.1:5000/acme/web',
      digest: DIGEST,
      imageRef: `127.0.0.1:5000/acme/web@${DIGEST}`,
      containerId: 'c1',
      containerName: 'dw-web-dev-dev-1',
      since: new Date().toISOString(),
    };
    fixture.store.setLive(live);
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.deploys.idle();
    fixture?.store.close();
  });

  it("deploys with only --project and --tag: the image is the project's, no commit needed", async () => {
    const result = await cli(['deploy', '--project', 'web', '--tag', 'dev-7'], {
      DOCKER_WATCHER_SECRET: GLOBAL_SECRET,
      DOCKER_WATCHER_URL: server.url,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^status=succeeded$/m);
    const intent = fixture.deploys.submitted.at(-1)!;
    expect(intent).toMatchObject({ tag: 'dev-7', image: '127.0.0.1:5000/acme/web', trigger: 'ci' });
    expect(intent.source).toBeUndefined();
  });

  it('names the flag that was typed when a value is wrong', async () => {
    const env = { DOCKER_WATCHER_SECRET: GLOBAL_SECRET, DOCKER_WATCHER_URL: server.url };
    const short = await cli(
      ['deploy', '--project', 'web', '--tag', 'dev-8', '--repository', 'acme/web', '--sha', 'abc123'],
      env,
    );
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--sha: a commit sha of 7 to 64 hex digits, not "abc123"');
    expect(short.stderr).not.toContain('source.sha');
    const alone = await cli(['deploy', '--project', 'web', '--tag', 'dev-8', '--sha', 'abcdef1'], env);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--sha needs --repository OWNER/NAME');
  });

  it('shows every option with --help, for each command', async () => {
    const deploy = await cli(['deploy', '--help'], {});
    expect(deploy.code).toBe(0);
    for (const flag of [
      '--project',
      '--tag',
      '--stage',
      '--digest',
      '--image',
      '--url',
      '--repository',
      '--sha',
      '--no-wait',
      '--timeout',
    ])
      expect(deploy.stdout).toContain(flag);
    for (const command of ['promote', 'teardown', 'logs', 'serve', 'check-config', 'schema', 'healthcheck']) {
      // In process: a spawn per command adds nothing the spawned deploy --help did not show.
      let stdout = '';
      const code = await runCli([command, '--help'], {
        stdout: (text) => void (stdout += text),
        stderr: () => undefined,
        env: {},
      });
      expect(code, `${command} --help`).toBe(0);
      expect(stdout).toContain(`Usage: docker-watcher ${command}`);
    }
  });

  it('promotes the version live in the promote_from stage, pinned to its digest, and follows it', async () => {
    const result = await cli(['promote', 'web', 'prod'], {
      DOCKER_WATCHER_TOKEN: API_TOKEN,
      DOCKER_WATCHER_URL: server.url,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /promotion to web\/prod: queued as deploy \S+\nwatch it at http:\S+\/deploys\//,
    );
    expect(result.stdout).toContain('[health] health started');
    expect(result.stdout).toMatch(/^status=succeeded$/m);
    expect(fixture.deploys.submitted.at(-1)).toMatchObject({
      stage: 'prod',
      tag: 'dev-1',
      digest: DIGEST,
      trigger: 'promote',
      requestedBy: 'api-token',
    });
  });

  it('refuses a promotion into a stage without promote_from, saying why', async () => {
    const result = await cli(['promote', 'web', 'dev'], {
      DOCKER_WATCHER_TOKEN: API_TOKEN,
      DOCKER_WATCHER_URL: server.url,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('409: stage dev has no promote_from');
  });

  it('asks before a teardown when there is no --yes, and waits for it with a dashboard link', async () => {
    const env = { DOCKER_WATCHER_TOKEN: API_TOKEN, DOCKER_WATCHER_URL: server.url };
    const unasked = await cli(['teardown', 'web', 'dev'], env);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('confirm the teardown with --yes');
    expect(fixture.deploys.teardowns).toEqual([]);
    const done = await cli(['teardown', 'web', 'dev', '--yes'], env);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(
      /teardown of web\/dev: queued as deploy \S+\nwatch it at http:\S+\/deploys\//,
    );
    expect(done.stdout).toMatch(/^status=succeeded$/m);
  });
});
