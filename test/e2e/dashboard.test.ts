import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../app/server.js';
import { FINAL_STATUSES, type DeployRecord } from '../../src/core/deploy-types.js';
import { silentLogger } from '../../src/log/logger.js';
import { requireDocker, testDocker, useTestInstance } from '../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the app
 * from its composition root, deploying on the real Docker engine from the local registry.
 */
const hasDocker = await requireDocker();
const TOKEN = 'e2e-dashboard-token';
const SCREENSHOTS = 'test-results/screenshots';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!hasDocker)('the dashboard in a browser', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-dash-${instanceId.slice(-8)}/web`;
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let user: BrowserContext;

  beforeAll(async () => {
    await buildTestImage({ repository, tag: 'dev-1', behaviour: 'healthy', instanceId });
    // Slow to become healthy, so the deploy page is open while the deploy still runs.
    await buildTestImage({ repository, tag: 'dev-2', behaviour: 'slow', healthDelaySeconds: 2, instanceId });
    await buildTestImage({ repository, tag: 'dev-3', behaviour: 'exit', instanceId });
    dir = await mkdtemp(join(tmpdir(), 'dw-e2e-dash-'));
    await writeFile(
      join(dir, 'docker-watcher.yaml'),
      [
        'global:',
        '  domain: localhost',
        `  network: dw-e2e-dash-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        '  data_dir: ./data',
        '  health: { deadline_seconds: 8, interval_seconds: 0.2, timeout_seconds: 1 }',
        '  docker: { drain_seconds: 0, stop_timeout_seconds: 2, reach: host }',
        'projects:',
        '  web:',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    port: 8080',
        '    healthcheck: /health',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '      prod: { tag_pattern: "v*", confirm: true }',
        '',
      ].join('\n'),
    );
    server = await startServer({
      configPath: join(dir, 'docker-watcher.yaml'),
      env: { DOCKER_WATCHER_SECRET: 'e2e-dashboard-secret', DOCKER_WATCHER_TOKEN: TOKEN },
      logger: silentLogger,
      port: 0,
      instanceId,
    });
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    user = await browser.newContext({ viewport: DESKTOP });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Deploys through the API (as CI or a script would) and waits until the deploy is final. */
  async function deployByApi(tag: string): Promise<DeployRecord> {
    const res = await fetch(`${server.url}/api/projects/web/stages/dev/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag }),
    });
    expect(res.status).toBe(202);
    return waitFinal(((await res.json()) as { id: string }).id);
  }

  async function waitFinal(id: string): Promise<DeployRecord> {
    for (let i = 0; i < 300; i++) {
      const record = server.store.getDeploy(id);
      if (record && FINAL_STATUSES.includes(record.status)) return record;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`deploy ${id} did not finish within 30 s`);
  }

  async function logIn(context: BrowserContext, token: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    return page;
  }

  async function screenshots(page: Page, name: string): Promise<void> {
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: `${SCREENSHOTS}/${name}-${size}.png`, fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
  }

  it('keeps someone with a wrong token out of every page, action and stream', async () => {
    const first = await deployByApi('dev-1');
    expect(first.status).toBe('succeeded');
    const stranger = await browser.newContext();
    const page = await logIn(stranger, 'not-the-token');
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.textContent('[role=alert]')).resolves.toContain('That token is not valid.');
    expect((await stranger.cookies()).filter((c) => c.name === 'dw_session')).toEqual([]);
    await page.goto(`${server.url}/deploys/${first.id}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.content()).not.toContain('dev-1');
    const before = server.store.listDeploys().length;
    const action = await stranger.request.post(
      `${server.url}/dashboard-actions/projects/web/stages/dev/rollback`,
      {
        form: { csrf: 'guess' },
        maxRedirects: 0,
      },
    );
    expect(action.status()).toBe(303);
    expect(action.headers().location).toBe('/login');
    const events = await stranger.request.get(`${server.url}/api/deploys/${first.id}/events`);
    expect(events.status()).toBe(401);
    expect(server.store.listDeploys()).toHaveLength(before);
    await stranger.close();
  });

  it('logs in and shows the live version of the stage on the overview', async () => {
    const page = await logIn(user, TOKEN);
    expect(new URL(page.url()).pathname).toBe('/');
    const dev = page.locator('[data-stage="web/dev"]');
    await expect(dev.textContent()).resolves.toContain('dev-1');
    const live = server.store.getLive('web', 'dev')!;
    await expect(dev.textContent()).resolves.toContain(live.digest!.slice(7, 19));
    await expect(dev.locator('.badge').first().textContent()).resolves.toBe('succeeded');
    await screenshots(page, 'overview');
    await page.close();
  });

  it('deploys a version from the project page and follows it live to green', async () => {
    const page = await user.newPage();
    await page.goto(`${server.url}/projects/web`);
    await screenshots(page, 'project');
    await page.fill('input[name=tag]', 'dev-2');
    await page.selectOption('select[name=stage]', 'dev');
    const dialog = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await page.click('form[action$="/deploy"] button[type=submit]');
    expect(await dialog).toBe('Deploy web:dev-2 to dev?');
    await page.waitForURL(/\/deploys\//);
    expect(await page.getAttribute('#live-log', 'data-final')).toBe('false');
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await page.locator('#live-log li', { hasText: '[health]' }).first().waitFor({ timeout: 15_000 });
    await page.locator('#deploy-status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await page.locator('#deploy-details', { hasText: 'stop_old' }).waitFor();
    expect(server.store.getLive('web', 'dev')?.tag).toBe('dev-2');
    await screenshots(page, 'deploy');
    await page.close();
  });

  it('shows a failed deploy with its phase and the container log, the old version still live', async () => {
    const failed = await deployByApi('dev-3');
    expect(failed.status).toBe('failed');
    const page = await user.newPage();
    await page.goto(`${server.url}/deploys/${failed.id}`);
    const error = await page.textContent('#deploy-error');
    expect(error).toContain(`Failed in phase ${failed.error!.phase}`);
    expect(error).toContain('exiting with code 3');
    expect(server.store.getLive('web', 'dev')?.tag).toBe('dev-2');
    await screenshots(page, 'deploy-failed');
    await page.close();
  });

  it('rolls a stage back from the overview', async () => {
    const page = await user.newPage();
    await page.goto(`${server.url}/`);
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-stage="web/dev"] button:has-text("Roll back")');
    await page.waitForURL(/\/deploys\//);
    await page.locator('#deploy-status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    await expect(page.textContent('#deploy-details')).resolves.toContain('rollback by dashboard');
    expect(server.store.getLive('web', 'dev')?.tag).toBe('dev-1');
    await page.close();
  });

  it('refuses a form posted from another origin and a post without the CSRF token', async () => {
    const page = await user.newPage();
    await page.goto(`${server.url}/`);
    const csrf = (await page.getAttribute('input[name=csrf]', 'value'))!;
    const before = server.store.listDeploys().length;
    const action = `${server.url}/dashboard-actions/projects/web/stages/dev/rollback`;
    // Another loopback port is another origin but the same site, so the SameSite cookie is sent:
    // only the Origin check stands between it and the action, even with a leaked CSRF token.
    const evil = await serveHtml(
      `<form id="f" method="post" action="${action}"><input name="csrf" value="${csrf}"></form>` +
        '<script>document.getElementById("f").submit()</script>',
    );
    try {
      const response = page.waitForResponse(action);
      await page.goto(evil.url);
      expect((await response).status()).toBe(403);
      await expect(page.textContent('main')).resolves.toContain('not sent from the dashboard');
    } finally {
      evil.server.close();
    }
    await page.goto(`${server.url}/`);
    const status = await page.evaluate(async (url) => {
      const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ tag: 'dev-1' }) });
      return res.status;
    }, action);
    expect(status).toBe(403);
    expect(server.store.listDeploys()).toHaveLength(before);
    await page.close();
  });

  it("shows the live container's log and resource use on the stage page, and follows a new line", async () => {
    const live = server.store.getLive('web', 'dev')!;
    const page = await user.newPage();
    await page.goto(`${server.url}/`);
    await page.click('[data-stage="web/dev"] .head a');
    expect(new URL(page.url()).pathname).toBe('/projects/web/stages/dev');
    await expect(page.textContent('#stage-log')).resolves.toContain(`listening on 8080 version`);
    const usage = (await page.textContent('#usage'))!;
    expect(usage).toContain('running');
    expect(usage).toMatch(/Memory\s*[\d.]+ (B|KiB|MiB) \/ [\d.]+ (MiB|GiB)/);
    await screenshots(page, 'stage');

    await page.click('#follow-log');
    await page.locator('#follow-state', { hasText: 'following live' }).waitFor({ timeout: 10_000 });
    const marker = `followed ${Date.now()}`;
    await writeToContainerLog(live.containerId, `echo "${marker}" > /proc/1/fd/2`);
    const line = page.locator('#stage-log li', { hasText: marker });
    await line.waitFor({ timeout: 10_000 });
    await expect(line.getAttribute('class')).resolves.toBe('std-stderr');
    await expect(line.locator('.s').textContent()).resolves.toBe('err');
    await screenshots(page, 'stage-following');
    await page.click('#follow-log');
    await expect(page.textContent('#follow-state')).resolves.toBe('stopped following');
    await page.close();
  });

  it('tears the stage down from its page: every container of the stage is removed', async () => {
    const docker = testDocker();
    const stageContainers = () =>
      docker.listContainers({
        all: true,
        filters: {
          label: [
            `docker-watcher.instance-id=${instanceId}`,
            'docker-watcher.project=web',
            'docker-watcher.stage=dev',
          ],
        },
      });
    expect((await stageContainers()).length).toBeGreaterThan(0);
    const page = await user.newPage();
    await page.goto(`${server.url}/projects/web/stages/dev`);
    const dialog = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await page.click('form[action$="/teardown"] button[type=submit]');
    expect(await dialog).toContain('Tear down web/dev?');
    await page.waitForURL(/\/deploys\//);
    await page.locator('#deploy-status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    expect(await stageContainers()).toEqual([]);
    expect(server.store.getLive('web', 'dev')).toBeUndefined();
    await page.goto(`${server.url}/projects/web/stages/dev`);
    await expect(page.textContent('main')).resolves.toContain('nothing is live on web/dev');
    await page.close();
  });

  it('lists a stage the config no longer lists on the overview and tears it down only on the click', async () => {
    const docker = testDocker();
    const orphan = await docker.createContainer({
      name: `dw-web-old-${instanceId.slice(-8)}`,
      Image: `${OPEN_REGISTRY}/${repository}:dev-1`,
      Labels: {
        'docker-watcher.instance-id': instanceId,
        'docker-watcher.project': 'web',
        'docker-watcher.stage': 'old',
      },
    });
    await orphan.start();
    const page = await user.newPage();
    await page.goto(`${server.url}/`);
    const card = page.locator('[data-orphan="web/old"]');
    await expect(card.textContent()).resolves.toContain(`dw-web-old-${instanceId.slice(-8)}`);
    await screenshots(page, 'overview-orphans');
    expect((await orphan.inspect()).State.Running).toBe(true);
    page.once('dialog', (d) => void d.accept());
    await card.locator('button:has-text("Tear down")').click();
    await page.waitForURL(/\/deploys\//);
    await page.locator('#deploy-status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`docker-watcher.instance-id=${instanceId}`, 'docker-watcher.stage=old'] },
    });
    expect(left).toEqual([]);
    await page.goto(`${server.url}/`);
    await expect(page.locator('#orphans').count()).resolves.toBe(0);
    await page.close();
  });
});

/** Runs `script` in the container; writing to /proc/1/fd/1 or /2 puts a line in its log. */
async function writeToContainerLog(containerId: string, script: string): Promise<void> {
  const exec = await testDocker()
    .getContainer(containerId)
    .exec({ Cmd: ['sh', '-c', script] });
  await exec.start({ Detach: true });
}

/** A page on another loopback port: the attacker's site. */
async function serveHtml(html: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/` };
}
