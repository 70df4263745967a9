import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHASES } from '../../src/core/deploy-types.js';
import { requireDocker } from '../helpers/docker-env.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { openDrillSite, type DrillSite } from './harness/drill-site.js';
import { expectConverged, watchSite } from './harness/invariants.js';

/**
 * SIGKILL right after each phase of a swap (failpoint), restart on the same data dir, and check
 * reconcile converged. The rule: a deploy killed before `persist` ended is undone and marked
 * `interrupted` (the old version serves); once `persist` ended the new version is the stage's
 * live record, so reconcile completes it (stops the old container) and marks it `succeeded`.
 */
const hasDocker = await requireDocker();
const PAST_NO_RETURN = new Set(['persist', 'drain', 'stop_old']);
/** The site may blink while reconcile moves the route back; it must be back within this bound. */
const OUTAGE_BOUND_MS = 1_500;

describe.skipIf(!hasDocker)('crash at every phase', () => {
  let site: DrillSite;
  const rows: DrillRow[] = [];

  beforeAll(async () => {
    site = await openDrillSite('crash', { v1: 'healthy', v2: 'healthy' });
    await site.start();
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('Crash (SIGKILL) after each phase, then restart', rows);
    await site?.close();
  });

  for (const phase of PHASES) {
    it(`converges after a SIGKILL right after ${phase}`, async () => {
      const before = (await site.live())!.tag;
      const tag = before === 'v1' ? 'v2' : 'v1';
      await site.stop();
      const app = await site.start({ failpoint: `pause-after:${phase}` });
      const watch = watchSite(site);
      const { status, body } = await site.requestDeploy(tag);
      expect(status).toBe(202);
      const id = body.id!;
      await app.waitForLog((line) => line.msg === 'failpoint reached' && line.deployId === id, 60_000);
      const killedAt = Date.now();
      await site.stop();
      const restarted = await site.start();
      const readyMs = Date.now() - killedAt;
      const summary = await restarted.waitForLog((line) => line.msg === 'reconciled', 1_000);

      const record = (await site.deploys()).find((d) => d.id === id)!;
      const completed = PAST_NO_RETURN.has(phase);
      expect(record.status, JSON.stringify(record.error)).toBe(completed ? 'succeeded' : 'interrupted');
      const converged = await expectConverged(site, completed ? tag : before);
      const seen = await watch.stop();
      expect(seen.stillDown).toBe(false);
      expect(seen.longestOutageMs).toBeLessThanOrEqual(OUTAGE_BOUND_MS);
      rows.push({
        drill: `SIGKILL after ${phase}`,
        happened: `deploy ${record.status}; ${converged.liveTag} live; reconcile: ${JSON.stringify({
          removed: summary.removedContainers,
          routes: summary.restoredRoutes,
          restarted: summary.restartedContainers,
          completed: summary.completed,
        })}; site: ${seen.failures}/${seen.sent} probes failed, longest gap ${seen.longestOutageMs} ms`,
        recoveryMs: readyMs,
        lost: completed ? 'nothing' : `the ${tag} deploy (marked interrupted; send it again)`,
      });
    });
  }
});
