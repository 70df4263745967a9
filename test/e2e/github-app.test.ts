import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../app/server.js';
import { requireDocker, useTestInstance } from '../helpers/docker-env.js';
import { startRealApp, type RealApp } from '../helpers/real-app.js';
import { signedPost } from '../helpers/signed-request.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';
import { APP_PERMISSIONS } from '../fakes/github/fake-github-app.js';
import { startFakeGitHub, type FakeCheckRun, type FakeGitHub } from '../fakes/github/fake-github.js';

/** The fields of a check run body the test reads. */
interface CheckRunBody {
  name?: string;
  status?: string;
  conclusion?: string;
  details_url?: string;
  output?: { title: string; summary: string; text?: string };
  actions?: { identifier: string }[];
}

/**
 * docker-watcher as a GitHub App, from its composition root, on the real Docker engine and the
 * fake GitHub (requests checked against @octokit/openapi, the App's JWT verified with its public
 * key, installation tokens that expire): the installation webhook, check runs through each
 * phase, a failure with its log tail, and the Approve button for a writer and a reader.
 */
const hasDocker = await requireDocker();
const APP_ID = 4242;
const INSTALLATION = 77;
const HOOK_SECRET = 'app-webhook-secret';

describe.skipIf(!hasDocker)('a GitHub App forge against the real app', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/appweb`;
  const secret = 'app-e2e-signing-secret';
  let github: FakeGitHub;
  let app: RealApp;
  let server: RunningServer;
  let keyDir: string;

  beforeAll(async () => {
    // dev-1 takes 3 s to become healthy, so its check run is seen in progress.
    for (const [tag, behaviour] of [
      ['dev-1', 'slow'],
      ['dev-2', 'unhealthy'],
      ['v1', 'healthy'],
    ] as const) {
      await buildTestImage({ repository, tag, behaviour, instanceId, healthDelaySeconds: 3 });
    }
    // A key pair made for this run: the private half never leaves the temp dir.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyDir = await mkdtemp(join(tmpdir(), 'dw-app-key-'));
    const keyFile = join(keyDir, 'app.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    github = await startFakeGitHub({
      app: {
        appId: APP_ID,
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        installations: [
          {
            id: INSTALLATION,
            account: 'acme',
            repositories: ['acme/web'],
            permissions: { ...APP_PERMISSIONS },
          },
        ],
      },
    });
    github.state.addPullRequest({ repo: 'acme/web', number: 7, headSha: 'b'.repeat(40), author: 'alice' });
    github.state.setPermission('acme/web', 'walter', 'write');
    github.state.setPermission('acme/web', 'rita', 'read');
    github.state.setPermission('acme/web', 'alice', 'write');
    app = await startRealApp({
      instanceId,
      env: { DOCKER_WATCHER_SECRET: secret, DOCKER_WATCHER_TOKEN: 'app-e2e-token', GH_HOOK: HOOK_SECRET },
      yaml: [
        'global:',
        '  domain: localhost',
        `  network: dw-e2e-${instanceId.slice(-8)}`,
        '  data_dir: ./data',
        '  public_url: https://deploy.example.com',
        '  health: { deadline_seconds: 4, interval_seconds: 0.2, timeout_seconds: 1 }',
        '  docker: { drain_seconds: 0, stop_timeout_seconds: 2, reach: host }',
        'forges:',
        '  github:',
        '    type: github',
        `    api_url: ${github.apiUrl}`,
        `    app_id: ${APP_ID}`,
        `    private_key_file: ${keyFile}`,
        '    webhook_secret_env: GH_HOOK',
        'projects:',
        '  web:',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    repository: acme/web',
        '    port: 8080',
        '    poll: false',
        '    healthcheck: /health',
        '    allow_self_approval: false',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '      rel: { tag_pattern: "dev-*", promote_from: dev, auto_deploy: true }',
        '      prod: { tag_pattern: "v*", auto_deploy: false }',
      ],
    });
    server = app.server;
  });

  afterAll(async () => {
    await app?.close();
    await github?.close();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  const deploy = async (tag: string, sha: string) => {
    const body = {
      project: 'web',
      tag,
      source: { forge: 'github', serverUrl: 'https://github.com', repository: 'acme/web', sha, pr: 7 },
    };
    const response = await fetch(`${server.url}/api/deploys`, signedPost(secret, body));
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };

  const webhook = (event: string, payload: unknown, options: { secret?: string; delivery?: string } = {}) => {
    const raw = JSON.stringify(payload);
    const signature = createHmac('sha256', options.secret ?? HOOK_SECRET)
      .update(raw)
      .digest('hex');
    return fetch(`${server.url}/api/webhook/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': options.delivery ?? randomUUID(),
        'x-hub-signature-256': `sha256=${signature}`,
      },
      body: raw,
    });
  };

  const runOf = (deployId: string): FakeCheckRun | undefined =>
    [...github.checkRuns.values()].find((run) => run.updates.some((u) => u.external_id === deployId));
  const latest = (run: FakeCheckRun) => Object.assign({}, ...run.updates) as CheckRunBody;
  const settled = async (deployId: string, conclusion: string) => {
    await expect
      .poll(
        () => {
          const run = runOf(deployId);
          return run && latest(run).conclusion;
        },
        { timeout: 40_000, interval: 200 },
      )
      .toBe(conclusion);
    return runOf(deployId)!;
  };

  const click = (
    deployId: string,
    checkRunId: number,
    identifier: string,
    login: string,
    delivery?: string,
  ) =>
    webhook(
      'check_run',
      {
        action: 'requested_action',
        check_run: {
          id: checkRunId,
          external_id: deployId,
          head_sha: 'c'.repeat(40),
          pull_requests: [{ number: 7 }],
          app: { id: APP_ID },
        },
        requested_action: { identifier },
        repository: { full_name: 'acme/web', html_url: 'https://github.com/acme/web' },
        sender: { login, type: 'User' },
      },
      delivery === undefined ? {} : { delivery },
    );

  it('tracks the installation from its webhook', async () => {
    const response = await webhook('installation', {
      action: 'created',
      installation: { id: INSTALLATION, app_id: APP_ID, account: { login: 'acme' } },
      repositories: [{ full_name: 'acme/web' }],
      sender: { login: 'acme-admin' },
    });
    expect(response.status).toBe(202);
    expect(server.store.getState('github-app-installation:github:acme/web')).toBe(String(INSTALLATION));
  });

  it('reports a deploy as a check run updated through each phase, as the App', async () => {
    const id = await deploy('dev-1', 'a'.repeat(40));
    const run = await settled(id, 'success');
    const statuses = run.updates.map((u) => u.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('completed');
    // Seen while health-checking: the phases before it done, health running.
    const during = run.updates.find((u) => u.status === 'in_progress') as CheckRunBody | undefined;
    expect(during?.output?.summary).toContain('| create | ✅ done |');
    expect(during?.output?.summary).toContain('| health | ⏳ running |');
    const final = latest(run);
    expect(final.name).toBe('docker-watcher deploy: dev');
    expect(final.details_url).toBe(`https://deploy.example.com/deploys/${id}`);
    expect(final.output?.title).toContain('deployed dev-1 to dev');
    for (const phase of ['resolve', 'create', 'health', 'switch', 'stop_old'])
      expect(final.output?.summary).toContain(`| ${phase} | ✅ done |`);
    // Live: promote to rel (which takes from dev), or roll back.
    expect(final.actions?.map((a) => a.identifier)).toEqual(['promote:rel', 'rollback']);
    // Coalesced: 18 phase changes and 3 statuses went by, far fewer requests were sent.
    expect(run.updates.length).toBeLessThanOrEqual(8);
    // As the App: its JWT was verified, an installation token issued, and every request valid.
    expect(github.app!.jwtsSeen.length).toBeGreaterThan(0);
    expect(github.app!.issued.map((t) => t.installationId)).toContain(INSTALLATION);
    await expect
      .poll(() => github.state.statuses.filter((s) => s.sha === 'a'.repeat(40)).at(-1)?.state)
      .toBe('success');
    expect(github.rejections).toEqual([]);
  });

  it('Promote to rel, clicked on the dev check run by a writer, deploys what dev runs to rel', async () => {
    const devDeploy = server.store.listDeploys({ project: 'web', stage: 'dev', limit: 1 })[0]!;
    expect((await click(devDeploy.id, runOf(devDeploy.id)!.id, 'promote:rel', 'walter')).status).toBe(202);
    await expect
      .poll(() => server.store.listDeploys({ project: 'web', stage: 'rel', limit: 1 })[0]?.status, {
        timeout: 30_000,
      })
      .toBe('succeeded');
    const promoted = server.store.listDeploys({ project: 'web', stage: 'rel', limit: 1 })[0]!;
    expect(promoted.intent.tag).toBe('dev-1');
    expect(latest(await settled(promoted.id, 'success')).name).toBe('docker-watcher deploy: rel');
  });

  it("shows a failing deploy's cause and the container's log tail", async () => {
    const id = await deploy('dev-2', 'd'.repeat(40));
    const run = await settled(id, 'failure');
    const final = latest(run);
    expect(final.output?.summary).toContain('**Failed in health**');
    expect(final.output?.text).toContain('log lines of the new container');
    expect(final.output?.text).toContain('listening on');
  });

  it('Approve from a reader is refused, from a writer runs the waiting deploy, once', async () => {
    const id = await deploy('v1', 'b'.repeat(40));
    await expect
      .poll(() => runOf(id) && latest(runOf(id)!).actions?.[0]?.identifier, { timeout: 20_000 })
      .toBe('approve');
    const checkRunId = runOf(id)!.id;

    expect((await click(id, checkRunId, 'approve', 'rita')).status).toBe(202);
    await expect
      .poll(
        () =>
          github.state
            .commentsOn('acme/web', 7)
            .map((c) => c.body)
            .join('\n'),
        { timeout: 20_000 },
      )
      .toContain('@rita has read permission on acme/web');
    // The PR's author, with self-approval off.
    expect((await click(id, checkRunId, 'approve', 'alice')).status).toBe(202);
    await expect
      .poll(
        () =>
          github.state
            .commentsOn('acme/web', 7)
            .map((c) => c.body)
            .join('\n'),
        { timeout: 20_000 },
      )
      .toContain('does not allow self-approval');
    expect(server.store.getDeploy(id)?.status).toBe('awaiting_approval');

    // An hour passes: every installation token has expired; the next reports get a new one.
    const issuedBefore = github.app!.issued.length;
    github.app!.expireTokens();
    const delivery = randomUUID();
    expect((await click(id, checkRunId, 'approve', 'walter', delivery)).status).toBe(202);
    const run = await settled(id, 'success');
    expect(server.store.getDeploy(id)?.approvedBy).toBe('walter');
    expect(latest(run).output?.summary).toContain('Approved by @walter');
    expect(github.app!.issued.length).toBeGreaterThan(issuedBefore);
    // GitHub redelivering the click does nothing.
    expect((await click(id, checkRunId, 'approve', 'walter', delivery)).status).toBe(200);
    expect(github.rejections).toEqual([]);
  });

  it('refuses a forged check_run webhook', async () => {
    const id = server.store.listDeploys({ project: 'web', limit: 1 })[0]!.id;
    const response = await webhook(
      'check_run',
      {
        action: 'requested_action',
        check_run: { id: 1, external_id: id },
        requested_action: { identifier: 'rollback' },
      },
      { secret: 'not-the-secret' },
    );
    expect(response.status).toBe(401);
  });
});
