import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_COMMENT_MARKER } from '../../src/forge/pr-comment.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/fake-github.js';
import { requireDocker } from '../helpers/docker-env.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { FORGE_TOKEN, openDrillSite, type DrillSite } from './harness/drill-site.js';
import { expectConverged } from './harness/invariants.js';

/**
 * Forge reports across restarts of the real app process, against the fake GitHub (every call
 * validated against GitHub's OpenAPI description): a SIGKILL mid-deploy, then a restart, ends
 * with the final commit status and a PR comment that says what happened; a restart while GitHub
 * is down loses nothing, and status and comment catch up once GitHub is back.
 */
const hasDocker = await requireDocker();
/** After the restart, the final status must be on GitHub within this bound. */
const REPORTED_BOUND_MS = 20_000;
/** After GitHub is back, status and comment must have caught up within this bound (retries 2 s, 4 s, 8 s, ...). */
const CATCH_UP_BOUND_MS = 40_000;
/** Shutdown sends for 5 s at most (FLUSH_GRACE_MS in app/server.ts); the process must be gone soon after. */
const SHUTDOWN_BOUND_MS = 12_000;

describe.skipIf(!hasDocker)('forge reports across restarts', () => {
  let site: DrillSite;
  let github: FakeGitHub;
  const rows: DrillRow[] = [];
  let counter = 0;
  // No poller: a deploy of the newest tag it started on its own would be caught by the failpoint.
  const config = () => ({ githubApiUrl: github.apiUrl, poll: false });

  beforeAll(async () => {
    github = await startFakeGitHub({ token: FORGE_TOKEN });
    site = await openDrillSite('forgerestart', { v1: 'healthy', v2: 'healthy' });
    await site.start({ config: config() });
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('Forge reports across restarts (fake GitHub)', rows);
    await site?.close();
    await github?.close();
  });

  /** A new commit on a new PR of acme/web, known to the fake GitHub. */
  const newPullRequest = () => {
    const pr = 100 + ++counter;
    const sha = counter.toString(16).padStart(40, 'c');
    github.state.addPullRequest({ repo: 'acme/web', number: pr, headSha: sha, author: 'alice' });
    return { pr, sha };
  };
  const latest = (sha: string) => github.state.latestStatuses('acme/web', sha).get('docker-watcher/dev');
  const comment = (pr: number) =>
    github.state.commentsOn('acme/web', pr).filter((c) => c.body.includes(PR_COMMENT_MARKER));
  const nextTag = async () => ((await site.live())?.tag === 'v1' ? 'v2' : 'v1');

  async function until(what: string, boundMs: number, done: () => boolean): Promise<number> {
    const started = Date.now();
    while (!done()) {
      if (Date.now() - started > boundMs) throw new Error(`${what} not within ${boundMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return Date.now() - started;
  }

  // Killed once before persist, a deploy is undone and tried again (and succeeds); killed in its
  // second attempt too, it is interrupted; killed past persist, reconcile completes it.
  for (const { phase, kills, final, state, says } of [
    {
      phase: 'health',
      kills: 2,
      final: 'interrupted',
      state: 'error',
      says: /⚠️ interrupted: interrupted by a restart/,
    },
    { phase: 'health', kills: 1, final: 'succeeded', state: 'success', says: /✅ live/ },
    { phase: 'persist', kills: 1, final: 'succeeded', state: 'success', says: /✅ live/ },
  ] as const) {
    it(`${kills} SIGKILL(s) after ${phase}: after the restart GitHub shows ${state} and the comment says ${final}`, async () => {
      const { pr, sha } = newPullRequest();
      const tag = await nextTag();
      await site.stop();
      let app = await site.start({ failpoint: `pause-after:${phase}`, config: config() });
      const { body } = await site.requestDeploy(tag, undefined, sha, pr);
      for (let kill = 1; kill <= kills; kill++) {
        await app.waitForLog((line) => line.msg === 'failpoint reached' && line.deployId === body.id, 60_000);
        await until('the pending status', 10_000, () => latest(sha)?.state === 'pending');
        await site.stop();
        // The deploy is tried again after a restart: the failpoint catches that attempt too.
        if (kill < kills) app = await site.start({ failpoint: `pause-after:${phase}`, config: config() });
      }

      const restartedAt = Date.now();
      await site.start({ config: config() });
      const record = await site.waitFinal(body.id!, 60_000);
      expect(record.status).toBe(final);
      expect(record.attempt).toBe(phase === 'health' ? 2 : 1);
      await expectConverged(site, final === 'succeeded' ? tag : tag === 'v1' ? 'v2' : 'v1');
      await until(`the ${state} status of ${sha}`, REPORTED_BOUND_MS, () => latest(sha)?.state === state);
      await until('the comment update', REPORTED_BOUND_MS, () => says.test(comment(pr)[0]?.body ?? ''));
      const reportedMs = Date.now() - restartedAt;
      expect(comment(pr)).toHaveLength(1);
      expect(latest(sha)?.description).toMatch(
        final === 'succeeded' ? /^deployed / : /^interrupted by a restart/,
      );
      const deployment = () => [...github.state.deployments.values()].filter((d) => d.ref === sha);
      await until(
        'the Deployment status',
        REPORTED_BOUND_MS,
        () => deployment()[0]?.statuses.at(-1)?.state === state,
      );
      // One Deployment per deploy: the restarted app found the id the killed one had stored.
      expect(deployment()).toHaveLength(1);
      expect(github.rejections).toEqual([]);
      rows.push({
        drill: `${kills} SIGKILL(s) after ${phase} with a PR`,
        happened: `the deploy ended ${final} (attempt ${record.attempt}); status ${state} ("${latest(sha)?.description}"), comment and Deployment updated`,
        recoveryMs: `reported ${reportedMs} ms after the restart`,
        lost: 'nothing',
      });
    });
  }

  it('restart while GitHub is down, then GitHub back: status and comment catch up', async () => {
    const { pr, sha } = newPullRequest();
    const tag = await nextTag();
    github.setDown(true);
    try {
      const { body } = await site.requestDeploy(tag, undefined, sha, pr);
      expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
      // A graceful stop with GitHub down: it gives up after the grace and the process exits.
      const stopping = Date.now();
      site.app!.kill('SIGTERM');
      expect(await site.app!.exited).toBe(0);
      const shutdownMs = Date.now() - stopping;
      expect(shutdownMs).toBeLessThan(SHUTDOWN_BOUND_MS);
      site.app = undefined;

      const app = await site.start({ config: config() });
      const resumed = await app.waitForLog((line) => line.msg === 'resuming forge reports', 10_000);
      expect(resumed['waiting']).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(latest(sha)).toBeUndefined();
      github.setDown(false);
      const caughtUpMs = await until(
        'the success status',
        CATCH_UP_BOUND_MS,
        () => latest(sha)?.state === 'success',
      );
      await until('the comment', CATCH_UP_BOUND_MS, () => /✅ live/.test(comment(pr)[0]?.body ?? ''));
      expect(comment(pr)).toHaveLength(1);
      expect(github.rejections).toEqual([]);
      rows.push({
        drill: 'GitHub down across a graceful restart, then back',
        happened: `shutdown took ${shutdownMs} ms with GitHub down; ${String(resumed['waiting'])} reports resumed from the outbox after the restart; status success and the comment arrived once GitHub was back`,
        recoveryMs: `caught up ${caughtUpMs} ms after GitHub was back`,
        lost: 'nothing',
      });
    } finally {
      github.setDown(false);
    }
  });
});
