import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../app/server.js';
import { signRequest } from '../../src/protocol/signature.js';
import { requireDocker, testDocker, testRunId, useTestInstance } from '../helpers/docker-env.js';
import { startRealApp, type RealApp } from '../helpers/real-app.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';
import { ensureTestSwarm } from '../helpers/test-swarm.js';

/**
 * The whole product as a user runs it: the app from its composition root (real Docker engine,
 * real registry, SQLite on disk) and the bundled action run the way a runner runs it.
 */
const run = promisify(execFile);
const hasDocker = await requireDocker();

/** The same swap and failed health check with the project on one host and on a real Swarm. */
const runtimes = [
  { runtime: 'docker' as const, on: 'one host' },
  { runtime: 'swarm' as const, on: 'a real Docker Swarm (2 replicas)' },
];

const eachRuntime = describe.skipIf(!hasDocker).each(runtimes);
eachRuntime('deploys through the action against the real app on $on', ({ runtime }) => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/web`;
  const secret = 'e2e-signing-secret-value';
  let app: RealApp;
  let server: RunningServer;

  /** Each version of the stage by tag: running or exited (a container, or a service scaled to 0). */
  async function versionStates(filter: string[]): Promise<Record<string, string>> {
    const label = [`docker-watcher.instance-id=${instanceId}`, ...filter];
    if (runtime === 'docker') {
      const containers = await testDocker().listContainers({ all: true, filters: { label } });
      return Object.fromEntries(
        containers.map((c): [string, string] => [c.Labels['docker-watcher.tag'] ?? '', c.State]),
      );
    }
    const services = await testDocker().listServices({ filters: { label } });
    return Object.fromEntries(
      services.map((s): [string, string] => [
        String(s.Spec?.Labels?.['docker-watcher.tag']),
        (s.Spec?.Mode?.Replicated?.Replicas ?? 0) > 0 ? 'running' : 'exited',
      ]),
    );
  }

  beforeAll(async () => {
    if (runtime === 'swarm') await ensureTestSwarm(testRunId());
    for (const [tag, behaviour] of [
      ['dev-1', 'healthy'],
      ['dev-2', 'healthy'],
      ['dev-3', 'unhealthy'],
    ] as const) {
      await buildTestImage({ repository, tag, behaviour, instanceId });
    }
    app = await startRealApp({
      instanceId,
      env: { DOCKER_WATCHER_SECRET: secret, DOCKER_WATCHER_TOKEN: 'e2e-api-token' },
      yaml: [
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
        '    poll: false',
        '    healthcheck: /health',
        ...(runtime === 'swarm'
          ? ['    runtime: swarm', `    swarm: { replicas: 2, network: dw-ov-${instanceId.slice(-8)} }`]
          : []),
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '',
      ],
    });
    server = app.server;
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Runs action/dist/index.js as a GitHub runner does; returns exit code, log and outputs. */
  async function runAction(
    tag: string,
    flavour: 'github' | 'gitea' = 'github',
    inputs: Record<string, string> = {},
  ) {
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
      ...inputs,
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

    expect(await versionStates(['docker-watcher.stage=dev'])).toEqual({
      'dev-1': 'exited',
      'dev-2': 'running',
    });
  });

  it('exposes deploys and the live container in /metrics, behind the token', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const text = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer e2e-api-token' },
    }).then((r) => r.text());
    expect(text).toMatch(/docker_watcher_deploys_total\{project="web",stage="dev",status="succeeded"\} 2/);
    expect(text).toMatch(/docker_watcher_container_memory_bytes\{project="web",stage="dev"\} \d+/);
  });

  it('fails the step naming the health phase and leaves dev-2 serving', async () => {
    const live = server.store.getLive('web', 'dev');
    expect(live?.tag).toBe('dev-2');
    const bad = await runAction('dev-3');
    expect(bad.code).toBe(1);
    expect(bad.log).toMatch(/health/);
    expect(bad.outputs.status).toBe('failed');
    expect(server.store.getLive('web', 'dev')?.tag).toBe('dev-2');
    expect(await versionStates(['docker-watcher.tag=dev-2'])).toEqual({ 'dev-2': 'running' });
    expect(await versionStates(['docker-watcher.tag=dev-3'])).toEqual({});
  });
});

describe.skipIf(!hasDocker)('bad requests against the real app start nothing', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/bad`;
  const secret = 'e2e-bad-secret';
  let app: RealApp;
  let server: RunningServer;

  beforeAll(async () => {
    await buildTestImage({ repository, tag: 'dev-1', behaviour: 'healthy', instanceId });
    app = await startRealApp({
      instanceId,
      env: { DOCKER_WATCHER_SECRET: secret, DOCKER_WATCHER_TOKEN: 'e2e-api-token' },
      yaml: [
        'global:',
        `  network: dw-e2e-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        '  data_dir: ./data',
        '  docker: { reach: host }',
        'projects:',
        '  web:',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    port: 8080',
        '    poll: false',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '',
      ],
    });
    server = app.server;
  });

  afterAll(async () => {
    await app?.close();
  });

  const body = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      project: 'web',
      image: `${OPEN_REGISTRY}/${repository}`,
      tag: 'dev-1',
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: 'acme/web',
        sha: 'b'.repeat(40),
      },
      ...overrides,
    });
  const post = (raw: string, init: { secret?: string; now?: Date; deliveryId?: string } = {}) =>
    fetch(`${server.url}/api/deploys`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signRequest(init.secret ?? secret, raw, {
          method: 'POST',
          path: '/api/deploys',
          key: (JSON.parse(raw) as { project?: string }).project ?? 'web',
          now: init.now ?? new Date(),
          deliveryId: init.deliveryId ?? randomUUID(),
        }),
      },
      body: raw,
    });
  const nothingStarted = async () => {
    expect(server.store.listDeploys({})).toEqual([]);
    const containers = await testDocker().listContainers({
      all: true,
      filters: { label: [`docker-watcher.instance-id=${instanceId}`] },
    });
    expect(containers).toEqual([]);
  };

  it.each([
    ['wrong secret', () => post(body(), { secret: 'not-the-secret' }), 401, /signature/i],
    [
      'stale timestamp',
      () => post(body(), { now: new Date(Date.now() - 10 * 60_000) }),
      401,
      /timestamp|old|skew/i,
    ],
    ['unknown project', () => post(body({ project: 'nope' })), 404, /nope/],
    [
      "image that is not the project's",
      () => post(body({ image: `${OPEN_REGISTRY}/evil/miner` })),
      422,
      /evil\/miner/,
    ],
    ['tag that matches no stage', () => post(body({ tag: 'feature-1' })), 422, /feature-1/],
    ['oversized body', () => post(body({ padding: 'x'.repeat(70 * 1024) })), 413, /64 KiB|too large|large/i],
    ['invalid body', () => post(body({ tag: '../../etc' })), 400, /tag/],
  ] as const)('%s: %s', async (_what, send, status, message) => {
    const response = await send();
    const answer = (await response.json()) as { error: { message: string } };
    expect(response.status).toBe(status);
    expect(JSON.stringify(answer.error)).toMatch(message);
    expect(JSON.stringify(answer)).not.toContain(secret);
    await nothingStarted();
  });

  it('refuses the replay of a captured request', async () => {
    const raw = body({ tag: 'dev-nonexistent' });
    const deliveryId = randomUUID();
    const first = await post(raw, { deliveryId });
    expect(first.status).toBe(202);
    const firstId = ((await first.json()) as { id: string }).id;
    const replay = await post(raw, { deliveryId });
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(
      /already received/,
    );
    expect(server.store.listDeploys({}).map((d) => d.id)).toEqual([firstId]);
    await waitFinal(server, firstId);
  });

  it('tells the action user clearly when the secret is wrong', async () => {
    // The action itself (no INPUT_* helper here): run the bundle with a wrong secret.
    const files = await mkdtemp(join(tmpdir(), 'dw-runner-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      INPUT_URL: server.url,
      INPUT_SECRET: 'wrong-secret',
      INPUT_PROJECT: 'web',
      INPUT_IMAGE: `${OPEN_REGISTRY}/${repository}`,
      INPUT_TAG: 'dev-1',
      INPUT_WAIT: 'true',
      GITHUB_OUTPUT: join(files, 'output'),
      GITHUB_SHA: 'c'.repeat(40),
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_SERVER_URL: 'https://github.com',
    };
    const result = await run(process.execPath, ['action/dist/index.js'], { env }).then(
      () => ({ code: 0, log: '' }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, log: e.stdout + e.stderr }),
    );
    await rm(files, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.log).toMatch(/401/);
    // ::add-mask:: is the runner's own masking command; nothing else may show the secret.
    expect(result.log.replace('::add-mask::wrong-secret', '')).not.toContain('wrong-secret');
  });
});

async function waitFinal(server: RunningServer, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = server.store.getDeploy(id)?.status;
    if (status && !['queued', 'running'].includes(status)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
