import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHASES, type DeployRecord } from '../../src/core/deploy-types.js';
import { followDeploy } from '../../src/protocol/follow-deploy.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/fake-github.js';
import { requireDocker } from '../helpers/docker-env.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { FORGE_TOKEN, onSwarm, openDrillSite, TOKEN, type DrillSite } from './harness/drill-site.js';
import { expectConverged, watchSite } from './harness/invariants.js';

/**
 * SIGKILL right after each phase of a swap (failpoint), restart on the same data dir and port,
 * with a fake GitHub and a notification target configured, and a CI step following the deploy's
 * events throughout. The rule: a deploy killed before `persist` ended is undone (the old version
 * serves meanwhile) and tried again once, so it ends `succeeded` in its second attempt; once
 * `persist` ended the new version is the stage's live record, so reconcile completes it. Either
 * way the follower gets the final record, GitHub the final status and the target a notification.
 */
const hasDocker = await requireDocker();
const PAST_NO_RETURN = new Set(['persist', 'drain', 'stop_old']);
/** The site may blink while reconcile moves the route back; it must be back within this bound. */
const OUTAGE_BOUND_MS = 1_500;
/** After the restart, the final status and the notification must be out within this bound. */
const REPORTED_BOUND_MS = 20_000;

interface Notification {
  event: string;
  deploy_id: string;
  status: string;
}

/** A webhook receiver on 127.0.0.1 that keeps every JSON body it gets. */
async function startReceiver(): Promise<{ url: string; received: Notification[]; close(): Promise<void> }> {
  const received: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until(what: string, boundMs: number, done: () => boolean): Promise<number> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > boundMs) throw new Error(`${what} not within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return Date.now() - started;
}

describe.skipIf(!hasDocker)('crash at every phase', () => {
  let site: DrillSite;
  let github: FakeGitHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const rows: DrillRow[] = [];
  let counter = 0;
  // No poller: a deploy of the newest tag it started on its own would be caught by the failpoint.
  const config = () => ({ githubApiUrl: github.apiUrl, notificationUrl: receiver.url, poll: false });

  beforeAll(async () => {
    github = await startFakeGitHub({ token: FORGE_TOKEN });
    receiver = await startReceiver();
    site = await openDrillSite('crash', { v1: 'healthy', v2: 'healthy' });
    await site.start({ config: config() });
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills(`Crash (SIGKILL) after each phase, then restart${onSwarm(site)}`, rows);
    await site?.close();
    await github?.close();
    await receiver?.close();
  });

  /** A new commit on a new PR of acme/web, known to the fake GitHub. */
  const newCommit = () => {
    const pr = 100 + ++counter;
    const sha = counter.toString(16).padStart(40, 'd');
    github.state.addPullRequest({ repo: 'acme/web', number: pr, headSha: sha, author: 'alice' });
    return { pr, sha };
  };
  const latest = (sha: string) => github.state.latestStatuses('acme/web', sha).get('docker-watcher/dev');
  const notified = (id: string, event: string) =>
    receiver.received.some((n) => n.deploy_id === id && n.event === event);
  /** A CI step following the deploy's events from the start, across the restart. */
  const follow = (id: string) => {
    const seen: string[] = [];
    const final = followDeploy(site.app!.url, id, { token: TOKEN }, (event) => {
      if (event.type === 'status') seen.push(event.status!);
    });
    return { seen, final };
  };

  for (const phase of PHASES) {
    it(`converges after a SIGKILL right after ${phase}, and reports the final status`, async () => {
      const before = (await site.live())!.tag;
      const tag = before === 'v1' ? 'v2' : 'v1';
      const { pr, sha } = newCommit();
      await site.stop();
      const app = await site.start({ failpoint: `pause-after:${phase}`, config: config() });
      const watch = watchSite(site);
      const { status, body } = await site.requestDeploy(tag, undefined, sha, pr);
      expect(status).toBe(202);
      const id = body.id!;
      const follower = follow(id);
      await app.waitForLog((line) => line.msg === 'failpoint reached' && line.deployId === id, 60_000);
      const killedAt = Date.now();
      await site.stop();
      const restarted = await site.start({ config: config() });
      const readyMs = Date.now() - killedAt;
      const summary = await restarted.waitForLog((line) => line.msg === 'reconciled', 1_000);

      const record: DeployRecord = await follower.final;
      const completed = PAST_NO_RETURN.has(phase);
      expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
      expect(record.attempt).toBe(completed ? 1 : 2);
      expect(summary[completed ? 'completed' : 'retried']).toEqual([id]);
      expect(follower.seen.at(-1)).toBe('succeeded');
      if (!completed) expect(follower.seen).toContain('queued');
      const converged = await expectConverged(site, tag);
      const seen = await watch.stop();
      expect(seen.stillDown).toBe(false);
      expect(seen.longestOutageMs).toBeLessThanOrEqual(OUTAGE_BOUND_MS);
      const reportedMs = await until('the success status on GitHub', REPORTED_BOUND_MS, () => {
        return latest(sha)?.state === 'success';
      });
      await until('the notification', REPORTED_BOUND_MS, () => notified(id, 'succeeded'));
      expect(github.rejections).toEqual([]);
      rows.push({
        drill: `SIGKILL after ${phase}`,
        happened: `deploy ${record.status} in attempt ${record.attempt}; ${converged.liveTag} live; reconcile: ${JSON.stringify(
          {
            removed: summary.removedContainers,
            routes: summary.restoredRoutes,
            restarted: summary.restartedContainers,
            completed: summary.completed,
            retried: summary.retried,
          },
        )}; site: ${seen.failures}/${seen.sent} probes failed, longest gap ${seen.longestOutageMs} ms; follower got the end; GitHub success ${reportedMs} ms after ready; notified`,
        recoveryMs: readyMs,
        lost: 'nothing',
      });
    });
  }

  it('runs a deploy queued behind the running one at the kill after the restart', async () => {
    const before = (await site.live())!.tag;
    const [first, second] = before === 'v1' ? ['v2', 'v1'] : ['v1', 'v2'];
    const a = newCommit();
    const b = newCommit();
    await site.stop();
    const app = await site.start({ failpoint: 'pause-after:health', config: config() });
    const running = (await site.requestDeploy(first, undefined, a.sha, a.pr)).body.id!;
    await app.waitForLog((line) => line.msg === 'failpoint reached' && line.deployId === running, 60_000);
    const queued = (await site.requestDeploy(second, undefined, b.sha, b.pr)).body;
    expect(queued.status).toBe('queued');
    const follower = follow(queued.id!);
    await site.stop();
    const killedAt = Date.now();
    await site.start({ config: config() });

    const record = await follower.final;
    const runsMs = Date.now() - killedAt;
    expect(record.status).toBe('succeeded');
    expect((await site.waitFinal(running, 60_000)).status).toBe('succeeded');
    await expectConverged(site, second);
    await until('both success statuses', REPORTED_BOUND_MS, () =>
      [a.sha, b.sha].every((sha) => latest(sha)?.state === 'success'),
    );
    await until('both notifications', REPORTED_BOUND_MS, () =>
      [running, queued.id!].every((id) => notified(id, 'succeeded')),
    );
    rows.push({
      drill: 'SIGKILL with a deploy queued behind a running one',
      happened: `the running ${first} was undone and tried again, then the queued ${second} ran; both succeeded, ${second} live, both reported and notified`,
      recoveryMs: `queued deploy done ${runsMs} ms after the kill`,
      lost: 'nothing',
    });
  });
});
