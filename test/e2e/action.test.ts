import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFixture, GLOBAL_SECRET, type AppFixture } from '../fakes/app-fixture.js';
import { listen } from '../helpers/listening-app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'action/dist/index.js');

/** A real pull_request payload (its head commit is not GITHUB_SHA, the merge commit GitHub checks out). */
const PULL_REQUEST_EVENT = (
  createRequire(import.meta.url)('@octokit/webhooks-examples') as {
    name: string;
    examples: { action?: string; number: number; pull_request: { head: { sha: string; ref: string } } }[];
  }[]
)
  .find((event) => event.name === 'pull_request')!
  .examples.find((example) => example.action === 'synchronize')!;

function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Reads a GITHUB_OUTPUT file (`name<<delimiter` blocks) into a record. */
function readOutputs(path: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const value: string[] = [];
    while (lines[++i] !== match[2]) value.push(lines[i]!);
    outputs[match[1]!] = value.join('\n');
  }
  return outputs;
}

describe('the bundled action, run as the runner runs it', () => {
  let fixture: AppFixture;
  let server: { url: string; close: () => Promise<void> };
  let dir: string;

  beforeAll(async () => {
    const build = await runNode([join(root, 'scripts/build-action.mjs')], process.env);
    expect(build.code, build.stderr).toBe(0);
    fixture = appFixture({
      autoRun: true,
      phaseDelayMs: 2,
      needsApproval: (intent) => intent.stage === 'prod',
      outcome: (intent) =>
        intent.tag === 'dev-broken' ? { failAt: 'health', message: 'GET / answered 500 for 120 s' } : {},
    });
    server = await listen(fixture.app);
    dir = mkdtempSync(join(tmpdir(), 'dw-action-'));
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.deploys.idle();
    fixture?.store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
    const run = mkdtempSync(join(dir, 'run-'));
    const files = {
      output: join(run, 'output'),
      summary: join(run, 'summary'),
      event: join(run, 'event.json'),
    };
    writeFileSync(files.output, '');
    writeFileSync(files.summary, '');
    writeFileSync(files.event, JSON.stringify(PULL_REQUEST_EVENT));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GITHUB_ACTIONS: 'true',
      GITHUB_SHA: 'c0ffee'.padEnd(40, '0'),
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_REF: `refs/pull/${PULL_REQUEST_EVENT.number}/merge`,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '4242',
      GITHUB_ACTOR: 'alice',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      DOCKER_WATCHER_RETRY_BASE_MS: '5',
      // The runner sets every input, with action.yml's defaults for those not given.
      INPUT_URL: server.url,
      INPUT_SECRET: GLOBAL_SECRET,
      INPUT_PROJECT: 'web',
      INPUT_STAGE: '',
      INPUT_IMAGE: '127.0.0.1:5000/acme/web',
      INPUT_TAG: 'dev-42',
      INPUT_DIGEST: '',
      INPUT_WAIT: 'true',
      INPUT_TIMEOUT: '600',
      INPUT_TOKEN: '',
      ...Object.fromEntries(
        Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
      ),
      ...extraEnv,
    };
    const result = await runNode([bundle], env);
    return { ...result, outputs: readOutputs(files.output), summary: readFileSync(files.summary, 'utf8') };
  }

  it('deploys: phases in the log as they happen, outputs, job summary, secret masked', async () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const result = await runAction({ digest });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`::add-mask::${GLOBAL_SECRET}`);
    const phases = [...result.stdout.matchAll(/^\[(\w+)\] \1 started$/gm)].map((match) => match[1]);
    expect(phases).toEqual([
      'resolve',
      'pull',
      'create',
      'start',
      'health',
      'switch',
      'persist',
      'drain',
      'stop_old',
    ]);
    expect(result.outputs).toMatchObject({ status: 'succeeded', url: 'http://web-dev.test', digest });
    expect(fixture.store.getDeploy(result.outputs['deploy-id']!)?.status).toBe('succeeded');
    expect(result.summary).toContain('docker-watcher deploy: web/dev');
    expect(result.summary).toContain('succeeded');
    const intent = fixture.deploys.submitted.find((i) => i.digest === digest)!;
    expect(intent.source).toMatchObject({
      forge: 'github',
      repository: 'acme/web',
      // The PR's head commit and branch, not the merge commit in GITHUB_SHA.
      sha: PULL_REQUEST_EVENT.pull_request.head.sha,
      ref: `refs/heads/${PULL_REQUEST_EVENT.pull_request.head.ref}`,
      pr: PULL_REQUEST_EVENT.number,
      runUrl: 'https://github.com/acme/web/actions/runs/4242',
      actor: 'alice',
    });
  });

  it('fails the step naming the phase when the deploy fails', async () => {
    const result = await runAction({ tag: 'dev-broken' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /::error::deploy \w+ failed in phase "health": GET \/ answered 500 for 120 s/,
    );
    expect(result.outputs.status).toBe('failed');
    expect(result.summary).toContain('failed in phase');
  });

  it("fails with the app's reason for an unknown project", async () => {
    const result = await runAction({ project: 'nope' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error::.*HTTP 404.*project "nope"/);
  });

  it('fails with 401 for a wrong secret, without printing the secret', async () => {
    const result = await runAction({ secret: 'not-the-secret' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error::.*HTTP 401.*signature does not match/);
    expect(result.stdout.replace('::add-mask::not-the-secret', '')).not.toContain('not-the-secret');
  });

  it('fails with a clear message after retries when the app is unreachable', async () => {
    const closed = await listen(fixture.app);
    await closed.close();
    const result = await runAction({ url: closed.url });
    expect(result.code).toBe(1);
    expect(result.stdout.match(/^retrying in/gm)).toHaveLength(4);
    expect(result.stdout).toMatch(
      /::error::.*could not reach docker-watcher at http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED.*gave up after 5 tries/,
    );
  });

  it('times out on a deploy that waits for approval, saying so', async () => {
    const result = await runAction({ tag: 'v2.0.0', timeout: '1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('waiting for approval at');
    expect(result.stdout).toMatch(/::error::deploy \w+ did not finish within 1 s/);
    expect(result.outputs.status).toBe('timed_out');
  });

  it('works on Gitea Actions, reporting the Gitea server as the source', async () => {
    const result = await runAction(
      { tag: 'dev-gitea' },
      { GITEA_ACTIONS: 'true', GITHUB_SERVER_URL: 'http://gitea.local' },
    );
    expect(result.code, result.stdout).toBe(0);
    const intent = fixture.deploys.submitted.find((i) => i.tag === 'dev-gitea')!;
    expect(intent.source).toMatchObject({
      forge: 'gitea',
      serverUrl: 'http://gitea.local',
      runUrl: 'http://gitea.local/acme/web/actions/runs/4242',
      sha: PULL_REQUEST_EVENT.pull_request.head.sha,
      pr: PULL_REQUEST_EVENT.number,
    });
  });
});
