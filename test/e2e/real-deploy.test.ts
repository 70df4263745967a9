import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../app/server.js';
import { silentLogger } from '../../src/log/logger.js';
import { requireDocker, testDocker, useTestInstance } from '../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';

/**
 * The whole product as a user runs it: the app from its composition root (real Docker engine,
 * real registry, SQLite on disk) and the bundled action run the way a runner runs it.
 */
const run = promisify(execFile);
const hasDocker = await requireDocker();

describe.skipIf(!hasDocker)('deploys through the action against the real app', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/web`;
  const secret = 'e2e-signing-secret-value';
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    for (const [tag, behaviour] of [
      ['dev-1', 'healthy'],
      ['dev-2', 'healthy'],
      ['dev-3', 'unhealthy'],
    ] as const) {
      await buildTestImage({ repository, tag, behaviour, instanceId });
    }
    dir = await mkdtemp(join(tmpdir(), 'dw-e2e-'));
    await writeFile(
      join(dir, 'docker-watcher.yaml'),
      [
        'global:',
        '  domain: localhost',
        `  network: dw-e2e-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        '  data_dir: ./data',
        '  health: { deadline_seconds: 6, interval_seconds: 0.2, timeout_seconds: 1 }',
        '  docker: { drain_seconds: 0, stop_timeout_seconds: 2, reach: host }',
        'projects:',
        '  web:',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    port: 8080',
        '    healthcheck: /health',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '',
      ].join('\n'),
    );
    server = await startServer({
      configPath: join(dir, 'docker-watcher.yaml'),
      env: { DOCKER_WATCHER_SECRET: secret, DOCKER_WATCHER_TOKEN: 'e2e-api-token' },
      logger: silentLogger,
      port: 0,
      instanceId,
    });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs action/dist/index.js as a GitHub runner does; returns exit code, log and outputs. */
  async function runAction(tag: string, flavour: 'github' | 'gitea' = 'github') {
    const files = await mkdtemp(join(tmpdir(), 'dw-runner-'));
    const event = join(files, 'event.json');
    await writeFile(event, JSON.stringify({ pull_request: { number: 7 } }));
    await writeFile(join(files, 'output'), '');
    await writeFile(join(files, 'summary'), '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      INPUT_URL: server.url,
      INPUT_SECRET: secret,
      INPUT_PROJECT: 'web',
      INPUT_IMAGE: `${OPEN_REGISTRY}/${repository}`,
      INPUT_TAG: tag,
      INPUT_WAIT: 'true',
      INPUT_TIMEOUT: '60',
      GITHUB_OUTPUT: join(files, 'output'),
      GITHUB_STEP_SUMMARY: join(files, 'summary'),
      GITHUB_EVENT_PATH: event,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_REPOSITORY: 'alexei/web',
      GITHUB_RUN_ID: '42',
      GITHUB_ACTOR: 'alexei',
      GITHUB_SERVER_URL: flavour === 'gitea' ? 'http://gitea.local:3000' : 'https://github.com',
      ...(flavour === 'gitea' ? { GITEA_ACTIONS: 'true' } : {}),
    };
    const result = await run(process.execPath, ['action/dist/index.js'], { env }).then(
      (r) => ({ code: 0, log: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, log: e.stdout + e.stderr }),
    );
    const outputs = parseOutputs(await readFile(join(files, 'output'), 'utf8'));
    const summary = await readFile(join(files, 'summary'), 'utf8').catch(() => '');
    await rm(files, { recursive: true, force: true });
    return { ...result, outputs, summary };
  }

  it('makes dev-1 live, then swaps to dev-2 and keeps dev-1 stopped for rollback', async () => {
    const first = await runAction('dev-1');
    expect(first.log).toContain('[health]');
    expect(first.code, first.log).toBe(0);
    expect(first.outputs.status).toBe('succeeded');
    expect(first.summary).toContain('succeeded');
    const firstBody = await (await fetch(first.outputs.url!)).text();
    expect(firstBody).toContain('version dev-1');

    const second = await runAction('dev-2', 'gitea');
    expect(second.code, second.log).toBe(0);
    expect(await (await fetch(second.outputs.url!)).text()).toContain('version dev-2');
    expect(second.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);

    const containers = await testDocker().listContainers({
      all: true,
      filters: { label: [`docker-watcher.instance-id=${instanceId}`, 'docker-watcher.stage=dev'] },
    });
    const states = Object.fromEntries(containers.map((c) => [c.Labels['docker-watcher.tag'], c.State]));
    expect(states).toEqual({ 'dev-1': 'exited', 'dev-2': 'running' });
  });

  it('fails the step naming the health phase and leaves dev-2 serving', async () => {
    const live = server.store.getLive('web', 'dev');
    expect(live?.tag).toBe('dev-2');
    const bad = await runAction('dev-3');
    expect(bad.code).toBe(1);
    expect(bad.log).toMatch(/health/);
    expect(bad.outputs.status).toBe('failed');
    expect(server.store.getLive('web', 'dev')?.tag).toBe('dev-2');
    const stillLive = await testDocker().getContainer(live!.containerId).inspect();
    expect(stillLive.State.Running).toBe(true);
    const leftovers = await testDocker().listContainers({
      all: true,
      filters: { label: [`docker-watcher.instance-id=${instanceId}`, 'docker-watcher.tag=dev-3'] },
    });
    expect(leftovers).toEqual([]);
  });
});

function parseOutputs(text: string): Record<string, string> {
  // GITHUB_OUTPUT uses heredoc blocks: name<<DELIMITER\nvalue\nDELIMITER
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (match) {
      const end = lines.indexOf(match[2]!, i + 1);
      outputs[match[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i]!.includes('=')) {
      const [k, ...v] = lines[i]!.split('=');
      outputs[k!] = v.join('=');
    }
  }
  return outputs;
}
