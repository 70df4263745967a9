import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../app/server.js';
import { FINAL_STATUSES, type DeployRecord } from '../../src/core/deploy-types.js';
import { silentLogger } from '../../src/log/logger.js';
import { requireDocker, useTestInstance } from '../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY, type TestImage } from '../helpers/test-images.js';

/**
 * The daily flows of the dashboard in a real browser (Debian's chromium through playwright-core)
 * against the app from its composition root, on the real Docker engine and the local registry:
 * the tag picker, live phases and pages, promotion, and a failing health check as it happens.
 */
const hasDocker = await requireDocker();
const TOKEN = 'e2e-daily-token';
const SCREENSHOTS = 'test-results/screenshots';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!hasDocker)('the dashboard for daily work, in a browser', () => {
  const instanceId = useTestInstance();
  const repository = `e2e-daily-${instanceId.slice(-8)}/web`;
  const images: Record<string, TestImage> = {};
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let user: BrowserContext;

  beforeAll(async () => {
    images['dev-1'] = await buildTestImage({ repository, tag: 'dev-1', behaviour: 'healthy', instanceId });
    // Slow to become healthy, so pages are open while the deploy runs.
    images['dev-2'] = await buildTestImage({
      repository,
      tag: 'dev-2',
      behaviour: 'slow',
      healthDelaySeconds: 2,
      instanceId,
    });
    // Serves no /health: every probe answers 404.
    images['dev-3'] = await buildTestImage({ repository, tag: 'dev-3', behaviour: 'unhealthy', instanceId });
    dir = await mkdtemp(join(tmpdir(), 'dw-e2e-daily-'));
    await writeFile(
      join(dir, 'docker-watcher.yaml'),
      [
        'global:',
        '  domain: localhost',
        `  network: dw-e2e-daily-${instanceId.slice(-8)}`,
        '  listen: { host: 127.0.0.1, port: 8080 }',
        '  data_dir: ./data',
        '  health: { deadline_seconds: 20, interval_seconds: 0.5, timeout_seconds: 1, client_error_grace_seconds: 4 }',
        '  docker: { drain_seconds: 1, stop_timeout_seconds: 2, reach: host }',
        'projects:',
        '  web:',
        `    image: ${OPEN_REGISTRY}/${repository}`,
        '    port: 8080',
        '    healthcheck: /health',
        // Only the browser deploys here: the registry poller would deploy dev-3 on its first poll.
        '    poll: false',
        '    stages:',
        '      dev: { tag_pattern: "dev-*", auto_deploy: true }',
        '      prod: { tag_pattern: "v*", promote_from: dev, confirm: true }',
        '',
      ].join('\n'),
    );
    server = await startServer({
      configPath: join(dir, 'docker-watcher.yaml'),
      env: { DOCKER_WATCHER_SECRET: 'e2e-daily-secret', DOCKER_WATCHER_TOKEN: TOKEN },
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
    const page = await user.newPage();
    await page.goto(`${server.url}/`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function waitFinal(id: string): Promise<DeployRecord> {
    for (let i = 0; i < 600; i++) {
      const record = server.store.getDeploy(id);
      if (record && FINAL_STATUSES.includes(record.status)) return record;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`deploy ${id} did not finish within 60 s`);
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

  /** Clicks the submit button of `form` and accepts its confirmation; returns the question. */
  async function submitConfirmed(page: Page, button: string): Promise<string> {
    const dialog = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await page.click(button);
    return dialog;
  }

  const deployId = (page: Page) => new URL(page.url()).pathname.split('/').at(-1)!;
  const markNotReloaded = (page: Page) =>
    page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  const notReloaded = (page: Page) =>
    page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);

  it('picks a tag from the registry on the stage page and deploys exactly its digest', async () => {
    const page = await user.newPage();
    await page.goto(`${server.url}/projects/web/stages/dev`);
    const choice = page.locator('.tag-picker button[data-tag="dev-1"]');
    await choice.waitFor({ timeout: 15_000 });
    const short = images['dev-1']!.digest.slice(7, 19);
    await expect(choice.textContent()).resolves.toContain(short);
    await expect(page.textContent('.tag-picker')).resolves.toMatch(/3 tags matching dev, newest first/);
    await choice.click();
    expect(await page.inputValue('input[name=tag]')).toBe('dev-1');
    expect(await page.inputValue('input[name=digest]')).toBe(images['dev-1']!.digest);
    await screenshots(page, 'tag-picker');
    expect(await submitConfirmed(page, 'form[action$="/deploy"] button[type=submit]')).toBe(
      'Deploy web:dev-1 to dev?',
    );
    await page.waitForURL(/\/deploys\//);
    const record = await waitFinal(deployId(page));
    expect(record.status).toBe('succeeded');
    expect(record.intent.digest).toBe(images['dev-1']!.digest);
    expect(server.store.getLive('web', 'dev')?.digest).toBe(images['dev-1']!.digest);
    await page.close();
  });

  it('updates the phases of a running deploy and the overview live, without a reload', async () => {
    const overview = await user.newPage();
    await overview.goto(`${server.url}/`);
    await markNotReloaded(overview);
    const page = await user.newPage();
    await page.goto(`${server.url}/projects/web`);
    await page.fill('input[name=tag]', 'dev-2');
    await page.selectOption('select[name=stage]', 'dev');
    await submitConfirmed(page, 'form[action$="/deploy"] button[type=submit]');
    await page.waitForURL(/\/deploys\//);
    await markNotReloaded(page);
    const health = page.locator('#deploy-phases tr[data-phase="health"] .badge');
    await health.filter({ hasText: 'running' }).waitFor({ timeout: 15_000 });
    await expect(page.textContent('#deploy-phases')).resolves.toMatch(/pull.*ok/s);
    await page
      .locator('#live-log li', { hasText: 'try 1: connection refused' })
      .or(page.locator('#live-log li', { hasText: 'try 1:' }))
      .first()
      .waitFor({ timeout: 10_000 });
    await screenshots(page, 'deploy-live-running');
    await page
      .locator('#deploy-phases tr[data-phase="stop_old"] .badge', { hasText: 'ok' })
      .waitFor({ timeout: 30_000 });
    await expect(health.textContent()).resolves.toBe('ok');
    await page.locator('#deploy-status', { hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
    await expect(page.textContent('#live-log')).resolves.toContain(
      'waiting up to 2 s for it to exit on SIGTERM',
    );
    expect(await notReloaded(page)).toBe(true);
    await screenshots(page, 'deploy-live-done');

    const dev = overview.locator('[data-stage="web/dev"] .live');
    await dev.filter({ hasText: 'dev-2' }).waitFor({ timeout: 10_000 });
    expect(await notReloaded(overview)).toBe(true);
    await overview.close();
    await page.close();
  });

  it('promotes what is live in dev to prod from the overview, pinned to its digest', async () => {
    const page = await user.newPage();
    await page.goto(`${server.url}/`);
    const devDigest = server.store.getLive('web', 'dev')!.digest!;
    const button = page.locator('[data-stage="web/prod"] button', { hasText: 'Promote' });
    await expect(button.textContent()).resolves.toBe(`Promote dev-2 (${devDigest.slice(7, 19)}) from dev`);
    await screenshots(page, 'overview-promote');
    expect(await submitConfirmed(page, '[data-stage="web/prod"] button:has-text("Promote")')).toBe(
      `Promote dev-2 (${devDigest.slice(7, 19)}) from dev to web/prod?`,
    );
    await page.waitForURL(/\/deploys\//);
    await page.locator('#deploy-status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    await expect(page.textContent('#deploy-details')).resolves.toContain('promote by dashboard');
    const prod = server.store.getLive('web', 'prod')!;
    expect(prod).toMatchObject({ tag: 'dev-2', digest: devDigest });
    await page.goto(`${server.url}/`);
    await expect(page.textContent('[data-stage="web/prod"]')).resolves.toContain('runs what is live in dev');
    await screenshots(page, 'overview-promoted');
    await page.close();
  });

  it('streams each probe of a failing health check and ends early on the same 404', async () => {
    const page = await user.newPage();
    await page.goto(`${server.url}/projects/web/stages/dev`);
    await page.fill('input[name=tag]', 'dev-3');
    await submitConfirmed(page, 'form[action$="/deploy"] button[type=submit]');
    await page.waitForURL(/\/deploys\//);
    const started = Date.now();
    await page
      .locator('#live-log li', { hasText: /try \d+: HTTP 404, \d+ s left/ })
      .first()
      .waitFor({
        timeout: 15_000,
      });
    await screenshots(page, 'deploy-health-failing');
    await page.locator('#deploy-status', { hasText: 'failed' }).waitFor({ timeout: 30_000 });
    // Ended by the 4 s grace for the same 4xx, long before the 20 s deadline.
    expect(Date.now() - started).toBeLessThan(15_000);
    const probes = await page.locator('#live-log li', { hasText: /try \d+: HTTP 404/ }).count();
    expect(probes).toBeGreaterThanOrEqual(3);
    const error = (await page.textContent('#deploy-error'))!;
    expect(error).toContain('Failed in phase health');
    expect(error).toMatch(/answered HTTP 404 at http:\/\/127\.0\.0\.1:\d+\/health for \d s/);
    await expect(page.locator('#deploy-phases tr[data-phase="rollback"]').textContent()).resolves.toMatch(
      /^undo.*undone$/,
    );
    expect(server.store.getLive('web', 'dev')?.tag).toBe('dev-2');
    await screenshots(page, 'deploy-health-failed');

    await page.goto(`${server.url}/`);
    const card = page.locator('[data-stage="web/dev"]');
    await expect(card.textContent()).resolves.toContain('dev-2 kept serving, untouched');
    await expect(card.locator('button.danger').textContent()).resolves.toBe('Roll back to dev-1');
    await screenshots(page, 'overview-after-failure');
    await page.close();
  });
});
