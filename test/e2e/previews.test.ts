import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../app/server.js';
import { PR_COMMENT_MARKER } from '../../src/forge/pr-comment.js';
import { signRequest } from '../../src/protocol/signature.js';
import type { FakeForgeState } from '../fakes/fake-forge-state.js';
import { startFakeGitea } from '../fakes/gitea/fake-gitea.js';
import { startFakeGitHub } from '../fakes/github/fake-github.js';
import { startFakeNpm, type FakeNpm } from '../fakes/npm/fake-npm-server.js';
import { requireDocker, testDocker, useTestInstance } from '../helpers/docker-env.js';
import { startRealApp, type RealApp } from '../helpers/real-app.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';
import {
  githubDelivery,
  githubPrComment,
  giteaDelivery,
  giteaPrComment,
} from '../integration/webhooks/webhook-fixture.js';

/**
 * The issue's "Done when": a PR's CI deploys its preview through the real app (real engine,
 * SQLite, the NPM router against the fake NPM) reporting to a fake forge; a second push updates
 * it in place; closing the PR removes every container, proxy host and record.
 */
const hasDocker = await requireDocker();
const HOOK_SECRET = 'preview-hook-secret';

describe.skipIf(!hasDocker).each(['github', 'gitea'] as const)('previews on %s', (kind) => {
  const instanceId = useTestInstance();
  const repository = `e2e-${instanceId.slice(-8)}/preview`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  const secret = 'preview-signing-secret';
  const forgeRepo = 'acme/web';
  const domain = 'pr-7-web.localhost';
  let forge: { url: string; apiUrl: string; token: string; state: FakeForgeState; close(): Promise<void> };
  let npm: FakeNpm;
  let app: RealApp;
  let server: RunningServer;

  beforeAll(async () => {
    for (const tag of ['pr-7-1', 'pr-7-2']) {
      await buildTestImage({ repository, tag, behaviour: 'healthy', instanceId });
    }
    forge = kind === 'github' ? await startFakeGitHub() : await startFakeGitea();
    forge.state.addPullRequest({ repo: forgeRepo, number: 7, headSha: 'c'.repeat(40), author: 'dana' });
    npm = await startFakeNpm();
    const forgeYaml =
      kind === 'github'
        ? `  hub: { type: github, api_url: "${forge.apiUrl}", token_env: FORGE_TOKEN, webhook_secret_env: FORGE_HOOK }`
        : `  hub: { type: gitea, url: "${forge.url}", api_url: "${forge.apiUrl}", token_env: FORGE_TOKEN, webhook_secret_env: FORGE_HOOK }`;
    app = await startRealApp({
      instanceId,
      env: {
        DOCKER_WATCHER_SECRET: secret,
        DOCKER_WATCHER_TOKEN: 'preview-api-token',
        NPM_PASSWORD: npm.password,
        FORGE_TOKEN: forge.token,
        FORGE_HOOK: HOOK_SECRET,
      },
      yaml: [
        'global:',
        '  domain: localhost',
        `  network: dw-pv-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        '  data_dir: ./data',
        '  health: { deadline_seconds: 6, interval_seconds: 0.2, timeout_seconds: 1 }',
        '  docker: { drain_seconds: 0, stop_timeout_seconds: 2, reach: host }',
        `  npm: { url: "${npm.url}", email: "${npm.email}", password_env: NPM_PASSWORD, forward: host, forward_host: 127.0.0.1, certificate: none, route_check_seconds: 0 }`,
        'forges:',
        forgeYaml,
        'projects:',
        '  web:',
        `    image: ${image}`,
        '    port: 8080',
        '    poll: false',
        '    healthcheck: /health',
        `    repository: ${forgeRepo}`,
        '    env: { SHARED: "1" }',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true, env: { DEV_ONLY_SECRET: "dev-secret" } }',
        '    previews: { enabled: true, tag_pattern: "pr-*", env: { PREVIEW: "yes" } }',
        '',
      ],
    });
    server = app.server;
  });

  afterAll(async () => {
    await app?.close();
    await npm?.close();
    await forge?.close();
  });

  const ciRequest = (tag: string, pr = 7, deliveryId = randomUUID()) => {
    const raw = JSON.stringify({
      project: 'web',
      image,
      tag,
      source: {
        forge: kind,
        serverUrl: kind === 'github' ? 'https://github.com' : forge.url,
        repository: forgeRepo,
        sha: tag.endsWith('1') ? 'c'.repeat(40) : 'd'.repeat(40),
        pr,
      },
    });
    return fetch(`${server.url}/api/deploys`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signRequest(secret, raw, {
          method: 'POST',
          path: '/api/deploys',
          key: 'web',
          now: new Date(),
          deliveryId,
        }),
      },
      body: raw,
    });
  };
  async function until<T>(what: string, probe: () => T | undefined | false, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const deployOf = async (tag: string, pr = 7) => {
    const response = await ciRequest(tag, pr);
    const accepted = (await response.json()) as { id: string; stage: string };
    expect(response.status, JSON.stringify(accepted)).toBe(202);
    expect(accepted.stage).toBe(`pr-${pr}`);
    return until(`deploy of ${tag}`, () => {
      const record = server.store.getDeploy(accepted.id);
      return record && ['succeeded', 'failed', 'interrupted', 'superseded'].includes(record.status) && record;
    });
  };
  const comment = () =>
    [...forge.state.comments.values()].find((c) => c.issue === 7 && c.body.includes(PR_COMMENT_MARKER))?.body;
  const previewHosts = () => npm.hosts().filter((h) => h.domain_names.includes(domain));
  const ourContainers = () =>
    testDocker().listContainers({
      all: true,
      filters: { label: [`docker-watcher.instance-id=${instanceId}`] },
    });

  it('deploys PR 7 to its preview, reports its URL and updates it in place on the next push', async () => {
    const first = await deployOf('pr-7-1');
    expect(first.status).toBe('succeeded');
    const [host] = previewHosts();
    expect(host).toBeDefined();
    // The proxy host's target answers with the PR's version (the fake NPM does not proxy itself).
    const target = `http://${host!.forward_host}:${host!.forward_port}`;
    expect(await (await fetch(`${target}/`)).text()).toContain('version pr-7-1');
    const container = await testDocker().getContainer(first.containerId!).inspect();
    expect(container.Config.Env).toEqual(
      expect.arrayContaining(['DOCKER_WATCHER_URL=http://pr-7-web.localhost', 'PREVIEW=yes', 'SHARED=1']),
    );
    expect(container.Config.Env.join('\n')).not.toContain('DEV_ONLY_SECRET');
    const body = await until('the PR comment', () => comment()?.includes('✅ live') && comment());
    expect(body).toMatch(
      /\| pr-7 \| pr-7-1 \(\w+\) \| ✅ live \| \[link\]\(http:\/\/pr-7-web\.localhost\) \|/,
    );

    const second = await deployOf('pr-7-2');
    expect(second.status).toBe('succeeded');
    expect(previewHosts().map((h) => h.id)).toEqual([host!.id]);
    const [updated] = previewHosts();
    expect(await (await fetch(`http://127.0.0.1:${updated!.forward_port}/`)).text()).toContain(
      'version pr-7-2',
    );
    const states = Object.fromEntries(
      (await ourContainers()).map((c) => [c.Labels['docker-watcher.tag'], c.State]),
    );
    expect(states).toEqual({ 'pr-7-1': 'exited', 'pr-7-2': 'running' });
    await until('the status', () =>
      forge.state.statuses.some((s) => s.context === 'docker-watcher/preview' && s.state === 'success'),
    );
    if (kind === 'github') {
      const deployments = await until('deployments', () => {
        const found = [...forge.state.deployments.values()].filter((d) => d.environment === 'preview/pr-7');
        return (
          found.length === 2 && found.every((d) => d.statuses.some((s) => s.state === 'success')) && found
        );
      });
      expect(deployments.every((d) => d.transient)).toBe(true);
    }
  });

  it('removes everything when the PR closes, and refuses its late CI request', async () => {
    forge.state.pulls.get(`${forgeRepo}#7`)!.state = 'closed';
    const payload = {
      action: 'closed',
      number: 7,
      pull_request: { number: 7, state: 'closed', merged: true },
      repository: { full_name: forgeRepo },
    };
    const delivery =
      kind === 'github'
        ? githubDelivery('pull_request', payload, { secret: HOOK_SECRET })
        : giteaDelivery('pull_request', payload, { secret: HOOK_SECRET });
    const response = await fetch(`${server.url}/api/webhook/${kind}`, delivery);
    expect(response.status).toBe(202);
    await until('the preview removed', () => server.store.getPreview('web', 7)?.state === 'removed');
    expect(await ourContainers()).toEqual([]);
    expect(previewHosts()).toEqual([]);
    expect(server.store.getLive('web', 'pr-7')).toBeUndefined();
    expect(server.store.listPreviews()).toEqual([]);
    await until('the comment says removed', () => comment()?.includes('removed'));
    if (kind === 'github') {
      await until('inactive deployments', () =>
        [...forge.state.deployments.values()]
          .filter((d) => d.environment === 'preview/pr-7')
          .some((d) => d.statuses.at(-1)?.state === 'inactive'),
      );
    }

    // The PR state is cached briefly, but the close webhook already told the app.
    const late = await ciRequest('pr-7-2');
    const answer = (await late.json()) as { error?: { message: string } };
    expect(late.status).toBe(409);
    expect(answer.error?.message).toMatch(/PR #7 of acme\/web is closed/);
    expect(await ourContainers()).toEqual([]);
  });

  it('removes a preview with /preview down in its PR', async () => {
    forge.state.addPullRequest({ repo: forgeRepo, number: 8, headSha: 'e'.repeat(40), author: 'dana' });
    forge.state.setPermission(forgeRepo, 'dana', 'write');
    expect((await deployOf('pr-7-1', 8)).status).toBe('succeeded');
    expect(npm.hosts().some((h) => h.domain_names.includes('pr-8-web.localhost'))).toBe(true);
    const payload =
      kind === 'github'
        ? (githubPrComment('/preview down', 'dana') as unknown as Record<string, Record<string, unknown>>)
        : (giteaPrComment('/preview down', 'dana') as unknown as Record<string, Record<string, unknown>>);
    payload.issue!.number = 8;
    payload.repository!.full_name = forgeRepo;
    const delivery =
      kind === 'github'
        ? githubDelivery('issue_comment', payload, { secret: HOOK_SECRET })
        : giteaDelivery('issue_comment', payload, { secret: HOOK_SECRET });
    expect((await fetch(`${server.url}/api/webhook/${kind}`, delivery)).status).toBe(202);
    await until('the preview removed', () => server.store.getPreview('web', 8)?.state === 'removed');
    expect(await ourContainers()).toEqual([]);
    expect(npm.hosts()).toEqual([]);
    const reply = await until('the reply', () =>
      [...forge.state.comments.values()].find(
        (c) => c.issue === 8 && c.body.includes('removing the preview'),
      ),
    );
    expect(reply.body).toContain('pr-8-web.localhost');
  });

  it('lists previews on the dashboard, and its Remove button removes one', async () => {
    forge.state.addPullRequest({ repo: forgeRepo, number: 9, headSha: 'f'.repeat(40), author: 'dana' });
    expect((await deployOf('pr-7-2', 9)).status).toBe('succeeded');
    const form = (body: Record<string, string>, cookie?: string) => ({
      method: 'POST',
      redirect: 'manual' as const,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: server.url,
        ...(cookie ? { cookie } : {}),
      },
      body: new URLSearchParams(body).toString(),
    });
    const login = await fetch(`${server.url}/login`, form({ token: 'preview-api-token', next: '/' }));
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = () => fetch(`${server.url}/projects/web`, { headers: { cookie } }).then((r) => r.text());
    const html = await page();
    const pullPage =
      kind === 'github' ? `https://github.com/${forgeRepo}/pull/9` : `${forge.url}/${forgeRepo}/pulls/9`;
    expect(html).toContain(`href="${pullPage}"`);
    expect(html).toContain('http://pr-9-web.localhost');
    expect(html).not.toContain('data-preview="pr-7"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const removed = await fetch(
      `${server.url}/dashboard-actions/projects/web/previews/9/remove`,
      form({ csrf }, cookie),
    );
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toMatch(/^\/deploys\//);
    await until('the preview removed', () => server.store.getPreview('web', 9)?.state === 'removed');
    expect(await ourContainers()).toEqual([]);
    expect(npm.hosts()).toEqual([]);
    const after = await page();
    expect(after).toContain('No preview is live');
    expect(after).not.toContain('data-preview=');
  });

  it('refuses a preview whose domain a hand-made NPM host serves, naming it, and leaves nothing', async () => {
    forge.state.addPullRequest({ repo: forgeRepo, number: 10, headSha: 'a'.repeat(40), author: 'dana' });
    await npm.addHandMadeHost({
      domain_names: ['pr-10-web.localhost'],
      forward_host: '10.0.0.9',
      forward_port: 80,
    });
    const record = await deployOf('pr-7-1', 10);
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record.error)).toContain('pr-10-web.localhost');
    expect(npm.hosts().map((h) => h.forward_host)).toEqual(['10.0.0.9']);
    expect((await ourContainers()).filter((c) => c.State === 'running')).toEqual([]);
  });
});
