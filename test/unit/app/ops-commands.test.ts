import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CommandIo } from '../../../app/cli.js';
import { API_TOKEN } from '../../fakes/app-fixture.js';
import { opsAppFixture } from '../../fakes/ops-app-fixture.js';
import { listen } from '../../helpers/listening-app.js';

function io(env: NodeJS.ProcessEnv = { DOCKER_WATCHER_TOKEN: API_TOKEN }) {
  const out = { stdout: '', stderr: '' };
  const commandIo: CommandIo = {
    stdout: (text) => void (out.stdout += text),
    stderr: (text) => void (out.stderr += text),
    env,
  };
  return { out, io: commandIo };
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function served() {
  const fx = opsAppFixture();
  const server = await listen(fx.app);
  servers.push(server);
  return { ...fx, url: server.url };
}

describe('docker-watcher logs', () => {
  it('prints the stage output with tail', async () => {
    const { docker, url } = await served();
    docker.writeLog('dw-web-dev-v1', 'stdout', 'one');
    docker.writeLog('dw-web-dev-v1', 'stderr', 'two');
    const { out, io: cli } = io();
    expect(await runCli(['logs', 'web', 'dev', '--tail', '1', '--url', url], cli)).toBe(0);
    expect(out.stdout).toMatch(/^\S+Z stderr two\n$/);
  });

  it('follows until the container stops', async () => {
    const { docker, url } = await served();
    docker.writeLog('dw-web-dev-v1', 'stdout', 'old line');
    const { out, io: cli } = io({ DOCKER_WATCHER_TOKEN: API_TOKEN, DOCKER_WATCHER_URL: url });
    const running = runCli(['logs', 'web', 'dev', '--follow'], cli);
    while (!out.stdout.includes('old line')) await new Promise((resolve) => setTimeout(resolve, 5));
    docker.writeLog('dw-web-dev-v1', 'stdout', 'new line');
    docker.exitContainer('dw-web-dev-v1', 0);
    expect(await running).toBe(0);
    expect(out.stdout.split('\n').map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'stdout old line',
      'stdout new line',
      '',
    ]);
  });

  it('says what is wrong: no token, nothing live, bad flags', async () => {
    const { url } = await served();
    // No token set, and no generated one either (else the CLI finds the quickstart's credentials file).
    const noToken = io({ DOCKER_WATCHER_CONFIG: '/nonexistent/docker-watcher.yaml' });
    expect(await runCli(['logs', 'web', 'dev', '--url', url], noToken.io)).toBe(2);
    expect(noToken.out.stderr).toMatch(/DOCKER_WATCHER_TOKEN/);
    const nothing = io();
    expect(await runCli(['logs', 'web', 'prod', '--url', url], nothing.io)).toBe(1);
    expect(nothing.out.stderr).toMatch(/404: nothing is live on web\/prod/);
    const usage = io();
    expect(await runCli(['logs', 'web'], usage.io)).toBe(2);
    expect(usage.out.stderr).toMatch(/PROJECT and STAGE/);
  });
});

describe('docker-watcher teardown', () => {
  it('asks first on a terminal and does nothing when the answer is no', async () => {
    const { url, deploys } = await served();
    const { out, io: cli } = io();
    const questions: string[] = [];
    cli.confirm = (question) => (questions.push(question), Promise.resolve(false));
    expect(await runCli(['teardown', 'web', 'dev', '--url', url], cli)).toBe(1);
    expect(questions[0]).toMatch(/^Tear down web\/dev\?/);
    expect(out.stderr).toContain('not confirmed; web/dev is untouched');
    expect(deploys.teardowns).toEqual([]);
  });

  it('queues the teardown of a stage or an orphan and prints its dashboard page', async () => {
    const { url, deploys } = await served();
    const { out, io: cli } = io();
    expect(await runCli(['teardown', 'web', 'dev', '--yes', '--no-wait', '--url', url], cli)).toBe(0);
    expect(out.stdout).toMatch(
      /teardown of web\/dev: queued as deploy \S+\nwatch it at http:\S+\/deploys\/\S+\ndeploy-id=/,
    );
    expect(deploys.teardowns.map((t) => `${t.project}/${t.stage}`)).toEqual(['web/dev']);

    const orphan = io();
    expect(await runCli(['teardown', 'web', 'old', '--orphan', '--yes', '--url', url], orphan.io)).toBe(1);
    expect(orphan.out.stderr).toMatch(/404: no orphaned containers of web\/old/);
  });
});
