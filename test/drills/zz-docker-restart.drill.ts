import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker } from '../helpers/docker-env.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { openDrillSite, type DrillSite } from './harness/drill-site.js';
import { convergedWithin, expectConverged, watchSite } from './harness/invariants.js';
import { restartDockerd } from './harness/restart-dockerd.js';

/**
 * The Docker engine restarts (between deploys, and in the middle of one). These restart the
 * machine's shared dockerd, so they run only with DW_DRILL_DOCKER_RESTART=1, when nobody else
 * uses the engine, and last in the suite (file name order, see vitest.drills.config.ts).
 * Expected: the live container comes back (restart policy), the proxy points at it (its
 * published port may change), and the next deploy works; all within CONVERGE_BOUND_MS.
 */
const enabled = process.env.DW_DRILL_DOCKER_RESTART === '1';
const hasDocker = enabled && (await requireDocker());
const CONVERGE_BOUND_MS = 60_000;

describe.runIf(hasDocker)('Docker engine restart', () => {
  let site: DrillSite;
  const rows: DrillRow[] = [];

  beforeAll(async () => {
    site = await openDrillSite('dockerd', {
      v1: 'healthy',
      v2: 'healthy',
      slow: { behaviour: 'slow', healthDelaySeconds: 6 },
    });
    await site.start();
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('Docker engine restart', rows);
    await site?.close();
  });

  it('between deploys: the live version comes back, the proxy follows it, the next deploy works', async () => {
    const watch = watchSite(site, 200);
    const engineDownMs = await restartDockerd();
    const convergedMs = await convergedWithin(site, 'v1', CONVERGE_BOUND_MS);
    const seen = await watch.stop();
    const { body } = await site.requestDeploy('v2');
    const next = await site.waitFinal(body.id!, 60_000);
    expect(next.status, JSON.stringify(next.error)).toBe('succeeded');
    await expectConverged(site, 'v2');
    rows.push({
      drill: 'dockerd restart between deploys',
      happened: `engine down ${engineDownMs} ms; v1 back and routed; longest site gap ${seen.longestOutageMs} ms; next deploy ${next.status}`,
      recoveryMs: engineDownMs + convergedMs,
      lost: 'nothing',
    });
  });

  it('in the middle of a deploy: the deploy ends (failed/interrupted or succeeded), the stage converges', async () => {
    const before = (await site.live())!.tag;
    const watch = watchSite(site, 200);
    const { body } = await site.requestDeploy('slow');
    for (let i = 0; ; i++) {
      const record = (await site.deploys()).find((d) => d.id === body.id)!;
      if (record.phases.some((p) => p.phase === 'health')) break;
      if (i > 300) throw new Error(`deploy ${body.id} never reached the health phase`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const engineDownMs = await restartDockerd();
    const record = await site.waitFinal(body.id!, 90_000);
    const live = record.status === 'succeeded' ? 'slow' : before;
    const convergedMs = await convergedWithin(site, live, CONVERGE_BOUND_MS);
    const seen = await watch.stop();
    rows.push({
      drill: 'dockerd restart during the health phase',
      happened: `deploy ${record.status}${record.error ? ` in ${record.error.phase}` : ''}; ${live} serving; longest site gap ${seen.longestOutageMs} ms`,
      recoveryMs: engineDownMs + convergedMs,
      lost: record.status === 'succeeded' ? 'nothing' : 'the slow deploy (send again)',
    });
  });
});
