import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker } from '../helpers/docker-env.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/fake-github.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { FORGE_TOKEN, openDrillSite, type DrillSite } from './harness/drill-site.js';
import { expectConverged } from './harness/invariants.js';

/**
 * GitHub is down or refuses while the app reports a deploy: the deploy is not affected, and the
 * commit status catches up once GitHub is back, within CATCH_UP_BOUND_MS (the report queue
 * retries after 2 s, 4 s, 8 s, ...).
 */
const hasDocker = await requireDocker();
const CATCH_UP_BOUND_MS = 40_000;

describe.skipIf(!hasDocker)('forge faults while reporting', () => {
  let site: DrillSite;
  let github: FakeGitHub;
  const rows: DrillRow[] = [];
  let shaCounter = 0;

  beforeAll(async () => {
    github = await startFakeGitHub({ token: FORGE_TOKEN });
    site = await openDrillSite('forge', { v1: 'healthy', v2: 'healthy' });
    await site.start({ config: { githubApiUrl: github.apiUrl } });
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('Forge (GitHub) faults while reporting', rows);
    await site?.close();
    await github?.close();
  });

  const latestState = (sha: string) =>
    github.state.statuses.filter((s) => s.sha === sha && s.context === 'docker-watcher/dev').at(-1)?.state;

  const faults = [
    { name: 'GitHub down', inject: () => github.setDown(true), heal: () => github.setDown(false) },
    { name: 'GitHub answers 500 (4 times)', inject: () => github.failNext(4, 500), heal: () => undefined },
    {
      name: 'GitHub answers 403 (2 times)',
      inject: () => github.failNext(2, 403, 'Resource not accessible by integration'),
      heal: () => undefined,
    },
  ];

  for (const fault of faults) {
    it(`${fault.name}: the deploy is unaffected and the status catches up`, async () => {
      const before = (await site.live())!.tag;
      const tag = before === 'v1' ? 'v2' : 'v1';
      const sha = (++shaCounter).toString(16).padStart(40, 'b');
      fault.inject();
      const { body } = await site.requestDeploy(tag, undefined, sha);
      const record = await site.waitFinal(body.id!, 60_000);
      expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
      await expectConverged(site, tag);
      const healedAt = Date.now();
      fault.heal();
      while (latestState(sha) !== 'success') {
        if (Date.now() - healedAt > CATCH_UP_BOUND_MS)
          throw new Error(
            `commit status of ${sha} is ${latestState(sha) ?? 'missing'} ${CATCH_UP_BOUND_MS} ms after ${fault.name} ended`,
          );
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      rows.push({
        drill: fault.name,
        happened: `deploy succeeded as usual; commit status docker-watcher/dev reached success after the fault`,
        recoveryMs: `status caught up ${Date.now() - healedAt} ms after the fault ended`,
        lost: 'nothing',
      });
    });
  }
});
