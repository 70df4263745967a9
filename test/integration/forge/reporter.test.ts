import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import type { DeploySource } from '../../../src/core/deploy-types.js';
import { createDeployReporter, type DeployReporter } from '../../../src/forge/deploy-reporter.js';
import type { ForgeClient } from '../../../src/forge/forge.js';
import { createGiteaClient } from '../../../src/forge/gitea-client.js';
import { createGitHubClient } from '../../../src/forge/github-client.js';
import { PR_COMMENT_MARKER } from '../../../src/forge/pr-comment.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createNotifier } from '../../../src/notify/notifier.js';
import { startFakeGitea, type FakeGitea } from '../../fakes/gitea/fake-gitea.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/fake-github.js';
import { baseConfig, deployerFixture } from '../../unit/deploy/deployer-fixture.js';

const REPO = 'acme/web';
const PUBLIC = 'https://dw.example.test';
const config = { ...baseConfig, global: { ...baseConfig.global, public_url: PUBLIC } };

let github: FakeGitHub;
let gitea: FakeGitea;
beforeAll(async () => {
  [github, gitea] = await Promise.all([startFakeGitHub(), startFakeGitea()]);
});
afterAll(() => Promise.all([github.close(), gitea.close()]));

interface ForgeCase {
  name: 'github' | 'gitea';
  fake: () => FakeGitHub | FakeGitea;
  client: () => ForgeClient;
}
const forges: ForgeCase[] = [
  {
    name: 'github',
    fake: () => github,
    client: () =>
      createGitHubClient({
        baseUrl: github.apiUrl,
        token: github.token,
        logger: silentLogger,
        retryBaseMs: 1,
        spaceWrites: false,
      }),
  },
  {
    name: 'gitea',
    fake: () => gitea,
    client: () => createGiteaClient({ apiUrl: gitea.apiUrl, token: gitea.token, logger: silentLogger }),
  },
];

let shaCounter = 0;
/** A deployer (real engine logic on the fake Docker engine) with the reporter as its observer. */
function setup(forge: ForgeCase, pr: number, withConfig: typeof config = config) {
  const sha = (++shaCounter).toString(16).padStart(40, '0');
  const fake = forge.fake();
  fake.state.addPullRequest({ repo: REPO, number: pr, headSha: sha, author: 'alice' });
  const client = forge.client();
  // The reporter needs the fixture's store, the deployer its observers: relay through this slot.
  const relay: { reporter?: DeployReporter } = {};
  const fx = deployerFixture({
    config: withConfig,
    deps: { observers: [{ onDeployEvent: (event, record) => relay.reporter?.onDeployEvent(event, record) }] },
  });
  /** A reporter as the app builds it at start-up; a second call stands for a restart. */
  const newReporter = () => {
    const reporter = createDeployReporter({
      loaded: fx.loaded,
      store: fx.store,
      clock: systemClock,
      logger: silentLogger,
      forgeFor: () => ({ client, repo: { owner: 'acme', repo: 'web' }, forgeName: forge.name }),
      retry: { firstDelayMs: 5, maxDelayMs: 20 },
    });
    reporter.start();
    return (relay.reporter = reporter);
  };
  const reporter = newReporter();
  const source: DeploySource = { forge: forge.name, serverUrl: fake.url, repository: REPO, sha, pr };
  const statusesOf = (context: string) =>
    fake.state.statuses.filter((s) => s.sha === sha && s.context === context).map((s) => s.state);
  const latest = () => fake.state.latestStatuses(REPO, sha);
  return { fx, fake, reporter, newReporter, sha, source, statusesOf, latest };
}

describe.each(forges)('deploy reporter on $name', (forge) => {
  it('reports pending then success through a whole deploy, and keeps one PR comment', async () => {
    const t = setup(forge, 11);
    t.fx.publish('v1');
    t.fx.publish('v2');
    const first = await t.fx.deploy('v1', { source: t.source });
    await t.reporter.flush();
    expect(first.status).toBe('succeeded');
    expect(t.statusesOf('docker-watcher/dev')[0]).toBe('pending');
    const status = t.latest().get('docker-watcher/dev');
    // Without NPM the deploy's URL is a port on the Docker host: the status links the deploy page.
    expect(status).toMatchObject({ state: 'success', targetUrl: `${PUBLIC}/deploys/${first.id}` });
    // One pending status (queued and running say the same), then success.
    expect(t.statusesOf('docker-watcher/dev')).toEqual(['pending', 'success']);
    expect(status?.description).toContain('v1');

    const second = await t.fx.deploy('v2', { source: t.source });
    await t.reporter.flush();
    const comments = t.fake.state.commentsOn(REPO, 11).filter((c) => c.body.includes(PR_COMMENT_MARKER));
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/\| dev \| v2 \(/);
    expect(comments[0]?.body).toContain(`[link](${PUBLIC}/deploys/${second.id})`);
    expect(comments[0]?.body).not.toContain(second.url!);
    expect(comments[0]?.body).toContain('comment `/promote promo` to deploy it to **promo**');
    expect(
      t.fake.requests.some((r) =>
        ['issues/update-comment', 'issueEditComment'].includes(r.operationId ?? ''),
      ),
    ).toBe(true);
    expect(t.fake.rejections).toEqual([]);

    if (forge.name === 'github') {
      const deployments = [...github.state.deployments.values()].filter((d) => d.ref === t.sha);
      expect(deployments.map((d) => d.environment)).toEqual(['dev', 'dev']);
      expect(deployments[1]?.statuses.at(-1)).toMatchObject({
        state: 'success',
        environmentUrl: `${PUBLIC}/deploys/${second.id}`,
      });
    }
  });

  it('reports failure naming the phase, linking the deploy page', async () => {
    const t = setup(forge, 12);
    t.fx.publish('v1');
    t.fx.health = async () => {
      throw new Error('never became healthy');
    };
    const record = await t.fx.deploy('v1', { source: t.source });
    await t.reporter.flush();
    expect(record.status).toBe('failed');
    const status = t.latest().get('docker-watcher/dev');
    expect(status).toMatchObject({ state: 'failure', targetUrl: `${PUBLIC}/deploys/${record.id}` });
    expect(status?.description).toMatch(/failed in health/);
    const comment = t.fake.state.commentsOn(REPO, 12)[0]?.body ?? '';
    expect(comment).toMatch(/❌ failed in health/);
    if (forge.name === 'github') {
      const deployment = [...github.state.deployments.values()].find((d) => d.ref === t.sha);
      expect(deployment?.statuses.at(-1)?.state).toBe('failure');
    }
  });

  it('asks for approval in the status and the comment', async () => {
    const t = setup(forge, 13);
    t.fx.deployer.submit(t.fx.intent('v3', { stage: 'rel', source: t.source }));
    await t.reporter.flush();
    expect(t.latest().get('docker-watcher/rel')?.description).toMatch(/awaiting approval: comment \/approve/);
    expect(t.fake.state.commentsOn(REPO, 13)[0]?.body).toMatch(
      /waits for approval on \*\*rel\*\*: comment `\/approve`/,
    );
  });

  it('keeps one PR comment for every project of the repository, also after a restart', async () => {
    const monorepo = {
      ...config,
      projects: {
        web: { ...config.projects!.web!, repository: REPO },
        api: { ...config.projects!.web!, repository: REPO },
        other: { ...config.projects!.web!, repository: 'acme/other' },
      },
    };
    const t = setup(forge, 15, monorepo);
    t.fx.publish('v1');
    await t.fx.deploy('v1', { source: t.source });
    await t.fx.deploy('v1', { source: t.source, project: 'api' });
    await t.fx.deploy('v1', { source: { ...t.source, pr: 99 }, project: 'other' });
    await t.reporter.flush();
    const comment = () => {
      const marked = t.fake.state.commentsOn(REPO, 15).filter((c) => c.body.includes(PR_COMMENT_MARKER));
      expect(marked).toHaveLength(1);
      return marked[0]?.body ?? '';
    };
    expect(comment()).toContain('#### api');
    expect(comment()).toContain('#### web');
    expect(comment()).not.toContain('#### other');
    // A bare `/promote promo` would promote every project of the repository: the hint names one.
    expect(comment()).toContain('comment `/promote web/promo` to deploy it to **promo**');

    // A new reporter on the same history (the app restarted) still shows both projects.
    const restarted = t.newReporter();
    t.fx.publish('v2');
    await t.fx.deploy('v2', { source: t.source, project: 'api' });
    await restarted.flush();
    expect(comment()).toMatch(/#### api[^#]*\| dev \| v2 \(/);
    expect(comment()).toContain('#### web');
  });

  it('never slows or fails a deploy while the forge is down, and catches up afterwards', async () => {
    const t = setup(forge, 14);
    t.fx.publish('v1');
    t.fake.setDown(true);
    const before = t.fake.requests.length;
    try {
      const started = Date.now();
      const record = await t.fx.deploy('v1', { source: t.source });
      expect(record.status).toBe('succeeded');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(t.statusesOf('docker-watcher/dev')).toEqual([]);
    } finally {
      t.fake.setDown(false);
    }
    await t.reporter.flush();
    expect(t.fake.requests.length).toBeGreaterThan(before);
    expect(t.latest().get('docker-watcher/dev')?.state).toBe('success');
    // A request in flight when the forge came back may land, but success is the last word.
    expect(t.statusesOf('docker-watcher/dev').at(-1)).toBe('success');
    expect(t.statusesOf('docker-watcher/dev').length).toBeLessThanOrEqual(2);
    expect(t.fake.state.commentsOn(REPO, 14)).toHaveLength(1);
  });

  it('a restart with the forge down loses nothing: status and comment catch up once it is back', async () => {
    const t = setup(forge, 16);
    t.fx.publish('v1');
    t.fake.setDown(true);
    try {
      const record = await t.fx.deploy('v1', { source: t.source });
      expect(record.status).toBe('succeeded');
      // Shutdown: the grace passes with the forge down; what is unsent stays in the outbox.
      await t.reporter.stop(30);
      expect(t.fx.store.listReports().length).toBeGreaterThan(0);
      // The app starts again, the forge still down for a while.
      const restarted = t.newReporter();
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(t.statusesOf('docker-watcher/dev')).toEqual([]);
      t.fake.setDown(false);
      await restarted.flush();
    } finally {
      t.fake.setDown(false);
    }
    expect(t.latest().get('docker-watcher/dev')?.state).toBe('success');
    // Latest wins: the pending status queued before the restart was never sent after success.
    expect(t.statusesOf('docker-watcher/dev')).toEqual(['success']);
    const comments = t.fake.state.commentsOn(REPO, 16);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/\| dev \| v1 [^|]*\| ✅ live/);
    expect(t.fx.store.listReports()).toEqual([]);
    expect(t.fake.rejections).toEqual([]);
  });

  /**
   * The app "dies" with a deploy of v1 in `phase`, then starts again: a new deployer on the same
   * store with a new reporter and a notifier among its observers recovers (reconcile, then the
   * deploys it queued again). Returns the deploy, the recorded notifications and the reporter.
   */
  async function killedAndRestarted(
    t: ReturnType<typeof setup>,
    cut: { phase: 'health' | 'persist'; attempt?: number },
  ) {
    t.fx.publish('v1');
    let reached!: () => void;
    const stuck = new Promise<void>((resolve) => (reached = resolve));
    const hang = () => (reached(), new Promise<never>(() => {}));
    if (cut.phase === 'health') t.fx.health = hang;
    else
      t.fx.restart({
        observers: [{ onDeployEvent: (event, record) => t.reporter.onDeployEvent(event, record) }],
        afterPhase: async (_id, phase) => (phase === 'persist' ? hang() : undefined),
      });
    const running = t.fx.deployer.submit(t.fx.intent('v1', { source: t.source }));
    await stuck;
    if (cut.attempt !== undefined) t.fx.store.updateDeploy(running.id, { attempt: cut.attempt });
    await t.reporter.flush();
    expect(t.latest().get('docker-watcher/dev')?.state).toBe('pending');

    // The process died here. The new one's health checks pass.
    t.fx.health = async () => {};
    const restarted = t.newReporter();
    const notified: { event: string; status: string; deploy_id: string }[] = [];
    const notifier = createNotifier({
      loaded: {
        ...t.fx.loaded,
        config: {
          ...t.fx.loaded.config,
          global: { ...t.fx.loaded.config.global, notification_url: 'http://notify.test/hook' },
        },
      },
      clock: systemClock,
      logger: silentLogger,
      fetch: async (_url, init) => {
        notified.push(JSON.parse(init?.body as string) as (typeof notified)[number]);
        return new Response('ok');
      },
    });
    const deployer = t.fx.restart({ observers: [restarted, notifier] });
    const summary = await deployer.recover();
    const final = await deployer.waitFor(running.id);
    await restarted.flush();
    await notifier.idle();
    return { running, final, summary, notified, restarted };
  }

  it('reports the final status reconcile gives a deploy the app was killed in, and notifies', async () => {
    const t = setup(forge, 17);
    // Killed in its second attempt: reconcile undoes it and marks it interrupted.
    const { running, final, summary, notified } = await killedAndRestarted(t, {
      phase: 'health',
      attempt: 2,
    });
    expect(summary.interrupted).toEqual([running.id]);
    expect(final.status).toBe('interrupted');
    const status = t.latest().get('docker-watcher/dev');
    expect(status).toMatchObject({ state: 'error', targetUrl: `${PUBLIC}/deploys/${running.id}` });
    expect(status?.description).toMatch(/^interrupted by a restart of docker-watcher during phase health/);
    expect(t.fake.state.commentsOn(REPO, 17)[0]?.body).toMatch(
      /⚠️ interrupted: interrupted by a restart of docker-watcher during phase health/,
    );
    expect(notified).toEqual([
      expect.objectContaining({ event: 'failed', status: 'interrupted', deploy_id: running.id }),
    ]);
    if (forge.name === 'github') {
      const deployment = [...github.state.deployments.values()].find((d) => d.ref === t.sha);
      // The same Deployment (its id kept in the store), ending in error.
      expect(deployment?.statuses.map((s) => s.state)).toEqual(['pending', 'in_progress', 'error']);
    }
  });

  it('reports success for a deploy killed in its first attempt: undone, tried again, live', async () => {
    const t = setup(forge, 19);
    const { running, final, summary, notified } = await killedAndRestarted(t, { phase: 'health' });
    expect(summary.retried).toEqual([running.id]);
    expect(final).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(t.latest().get('docker-watcher/dev')?.state).toBe('success');
    // The retry is `deploying` as the first attempt was: the new process sends no second pending,
    // and never an error between.
    expect(t.statusesOf('docker-watcher/dev')).toEqual(['pending', 'success']);
    expect(notified.map((n) => n.event)).toEqual(['started', 'succeeded']);
  });

  it('reports success for a deploy killed past persist, which reconcile completes', async () => {
    const t = setup(forge, 20);
    const { running, final, summary, notified } = await killedAndRestarted(t, { phase: 'persist' });
    expect(summary.completed).toEqual([running.id]);
    expect(final.status).toBe('succeeded');
    expect(t.latest().get('docker-watcher/dev')?.state).toBe('success');
    expect(notified).toEqual([expect.objectContaining({ event: 'succeeded', deploy_id: running.id })]);
  });

  it('a command reply survives a forge outage across a restart, and is posted once', async () => {
    const t = setup(forge, 18);
    t.fake.setDown(true);
    try {
      t.reporter.reply('web', 18, 4242, '@bob\n- ✅ deploying v1 to dev');
      await t.reporter.stop(30);
      const restarted = t.newReporter();
      await new Promise((resolve) => setTimeout(resolve, 30));
      t.fake.setDown(false);
      await restarted.flush();
    } finally {
      t.fake.setDown(false);
    }
    const replies = t.fake.state.commentsOn(REPO, 18).filter((c) => c.body.startsWith('@bob'));
    expect(replies.map((c) => c.body)).toEqual(['@bob\n- ✅ deploying v1 to dev']);
    expect(t.fake.rejections).toEqual([]);
  });
});
