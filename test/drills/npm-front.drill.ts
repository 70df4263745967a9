import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker } from '../helpers/docker-env.js';
import { startTraffic } from '../helpers/host-traffic.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { openDrillSite, type DrillSite } from './harness/drill-site.js';
import { expectConverged } from './harness/invariants.js';

/**
 * NPM in front of the built-in router (global.npm.forward: router), end to end: real nginx
 * configured by the fake NPM forwards the stage's domain to docker-watcher's router, which
 * forwards to the live container. NPM's host is written once, when the stage is first seen;
 * swaps under load then fail no request and write nothing to NPM (so nginx never reloads), and
 * a restart of docker-watcher finds the host right and writes nothing either.
 */
const hasDocker = await requireDocker();

describe.skipIf(!hasDocker)('NPM in front of the built-in router', () => {
  let site: DrillSite;
  const rows: DrillRow[] = [];
  /** Requests that change something in NPM (everything but reads and the login). */
  const writes = () =>
    site.npm.requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/api/tokens')).length;

  beforeAll(async () => {
    site = await openDrillSite('front', { v1: 'healthy', v2: 'healthy' }, 'front');
    await site.start({ config: { poll: false } });
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('NPM in front of the built-in router (global.npm.forward: router)', rows);
    await site?.close();
  });

  it('writes the stage host once, then swaps under load through nginx -> router -> container with 0 failed requests and 0 NPM writes', async () => {
    await expectConverged(site, 'v1');
    expect(writes(), 'the host was created once (first seen)').toBe(1);
    const traffic = startTraffic(site.nginx.port, site.domain, { concurrency: 4 });
    const swaps: string[] = [];
    for (const tag of ['v2', 'v1', 'v2']) {
      const { body } = await site.requestDeploy(tag);
      const record = await site.waitFinal(body.id!, 60_000);
      expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
      swaps.push(tag);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const report = await traffic.stop();
    await expectConverged(site, 'v2');
    expect(report.failures.slice(0, 5)).toEqual([]);
    expect(report.bodies.some((b) => b.includes('version v1'))).toBe(true);
    expect(report.bodies.at(-1)).toContain('version v2');
    expect(writes(), 'no NPM write during the deploys').toBe(1);
    rows.push({
      drill: `3 swaps under load (${swaps.join(', ')}) through nginx -> router -> container`,
      happened: `${report.sent - report.failures.length}/${report.sent} requests answered 200; NPM writes during the deploys: ${writes() - 1}`,
      recoveryMs: 'no outage',
      lost: 'nothing',
    });
  });

  it('finds the host right after a restart and writes nothing', async () => {
    await site.stop();
    const app = await site.start({ config: { poll: false } });
    await app.waitForLog((line) => line.msg === 'NPM proxy host forwards to the built-in router', 10_000);
    await expectConverged(site, 'v2');
    expect(writes()).toBe(1);
    rows.push({
      drill: 'restart of docker-watcher',
      happened: 'the NPM host already forwards to the router: read, not written',
      recoveryMs: 'n/a',
      lost: 'nothing',
    });
  });
});
