import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker } from '../helpers/docker-env.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { openDrillSite, type DrillSite } from './harness/drill-site.js';
import { expectConverged, watchSite } from './harness/invariants.js';

/**
 * SIGTERM while a deploy is in its health phase. Within shutdown_timeout_seconds the deploy
 * finishes; past it, it is aborted and rolled back (`interrupted`). Either way the process exits
 * by the timeout plus EXIT_SLACK_MS and nothing is left half done.
 */
const hasDocker = await requireDocker();
/** Time allowed beyond shutdown_timeout_seconds: the rollback itself and process exit. */
const EXIT_SLACK_MS = 5_000;

describe.skipIf(!hasDocker)('SIGTERM during a deploy', () => {
  let site: DrillSite;
  const rows: DrillRow[] = [];

  beforeAll(async () => {
    site = await openDrillSite('term', {
      v1: 'healthy',
      slow3: { behaviour: 'slow', healthDelaySeconds: 3 },
      slow8: { behaviour: 'slow', healthDelaySeconds: 8 },
    });
    await site.start();
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('SIGTERM during a deploy', rows);
    await site?.close();
  });

  const sigtermDuringHealth = async (tag: string, shutdownTimeoutSeconds: number) => {
    await site.stop();
    const app = await site.start({ config: { shutdownTimeoutSeconds, healthDeadlineSeconds: 15 } });
    const before = (await site.live())!.tag;
    const watch = watchSite(site);
    const { body } = await site.requestDeploy(tag);
    const id = body.id!;
    for (let i = 0; ; i++) {
      const record = (await site.deploys()).find((d) => d.id === id)!;
      if (record.phases.some((p) => p.phase === 'health')) break;
      if (i > 200) throw new Error(`deploy ${id} never reached the health phase`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const termAt = Date.now();
    app.kill('SIGTERM');
    const code = await app.exited;
    const exitMs = Date.now() - termAt;
    site.app = undefined;
    await site.start({ config: { shutdownTimeoutSeconds } });
    const reconciled = await site.app!.waitForLog((line) => line.msg === 'reconciled', 1_000);
    const record = (await site.deploys()).find((d) => d.id === id)!;
    return { before, record, code, exitMs, reconciled, seen: await watch.stop() };
  };

  it('finishes the deploy within shutdown_timeout_seconds, then exits 0', async () => {
    const { record, code, exitMs, reconciled, seen } = await sigtermDuringHealth('slow3', 20);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(20_000 + EXIT_SLACK_MS);
    expect(record.status).toBe('succeeded');
    expect(reconciled.interrupted).toEqual([]);
    await expectConverged(site, 'slow3');
    expect(seen.failures, 'the site answered throughout').toBe(0);
    rows.push({
      drill: 'SIGTERM in health, shutdown_timeout 20 s',
      happened: `deploy finished (succeeded) during the grace period; exit code ${code}; site ${seen.failures}/${seen.sent} probes failed`,
      recoveryMs: `exited ${exitMs} ms after SIGTERM`,
      lost: 'nothing',
    });
  });

  it('past shutdown_timeout_seconds aborts and rolls back, old version serving, then exits 0', async () => {
    const { before, record, code, exitMs, reconciled, seen } = await sigtermDuringHealth('slow8', 2);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(2_000 + EXIT_SLACK_MS);
    expect(record.status, JSON.stringify(record.error)).toBe('interrupted');
    expect(record.error?.phase).toBe('health');
    expect(reconciled.interrupted, 'nothing left for reconcile').toEqual([]);
    await expectConverged(site, before);
    expect(seen.failures, 'the site answered throughout').toBe(0);
    rows.push({
      drill: 'SIGTERM in health, shutdown_timeout 2 s',
      happened: `deploy aborted and rolled back (interrupted: ${record.error?.message.slice(0, 100)}); ${before} serving; exit code ${code}`,
      recoveryMs: `exited ${exitMs} ms after SIGTERM`,
      lost: 'the slow8 deploy (send again)',
    });
  });
});
