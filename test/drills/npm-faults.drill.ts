import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker, testDocker } from '../helpers/docker-env.js';
import type { FakeNpm } from '../fakes/npm/fake-npm-server.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { drillRouter, openDrillSite, type DrillSite } from './harness/drill-site.js';
import { convergedWithin, expectConverged, watchSite } from './harness/invariants.js';
import { getWithHost } from '../helpers/host-traffic.js';

/**
 * Nginx Proxy Manager misbehaves while a deploy runs, answering as NPM v2.15.1 does (the fake
 * pins it: keys changed -> 500 "Internal Error", expired -> 400, reload 50-130 ms after the
 * answer). Expected: down or answering 500 -> the deploy fails cleanly in `switch` and the old
 * version serves throughout; a refused token or changed keys -> one re-login and the deploy
 * succeeds. Each within DEPLOY_BOUND_MS. Then NPM loses its database, and a first deploy is
 * checked by a request sent the moment the deploy reports success.
 */
const hasDocker = await requireDocker();
const DEPLOY_BOUND_MS = 60_000;
/** After the route is back: until a container a failed deploy left running is gone. */
const LEFTOVER_BOUND_MS = 20_000;

interface Fault {
  name: string;
  inject(npm: FakeNpm): void;
  heal(npm: FakeNpm): void;
  outcome: 'succeeded' | 'failed';
}

const FAULTS: Fault[] = [
  {
    name: 'NPM down (connections reset)',
    inject: (n) => n.setDown(true),
    heal: (n) => n.setDown(false),
    outcome: 'failed',
  },
  {
    name: 'NPM answers 500',
    inject: (n) => n.failNext(1_000),
    heal: (n) => n.failNext(0),
    outcome: 'failed',
  },
  {
    name: 'NPM answers 500 twice, then recovers',
    inject: (n) => n.failNext(2),
    heal: (n) => n.failNext(0),
    outcome: 'succeeded',
  },
  {
    name: 'NPM revoked the token (403, as other NPM versions say)',
    inject: (n) => n.revokeAllTokens(),
    heal: () => undefined,
    outcome: 'succeeded',
  },
  {
    name: 'NPM token expired (400 Token has expired)',
    inject: (n) => n.expireAllTokens(),
    heal: () => undefined,
    outcome: 'succeeded',
  },
  {
    name: 'NPM keys changed (500 Internal Error)',
    inject: (n) => n.rotateSigningKey(),
    heal: () => undefined,
    outcome: 'succeeded',
  },
];

/** NPM's own faults: they concern the drills with NPM routing (DRILL_ROUTER=npm, the default). */
const routesThroughNpm = drillRouter() === 'npm';

// One set of suites per router mode, defined only for the mode that runs (a skipped suite would
// count as skipped in CI, where nothing may skip).
if (!routesThroughNpm)
  describe.skipIf(!hasDocker)('NPM faults, with the built-in router', () => {
    it('do not apply: NPM is not configured; with NPM down a deploy succeeds and sends NPM nothing', async () => {
      const site = await openDrillSite('npmfault', { v1: 'healthy', v2: 'healthy' });
      try {
        site.npm.setDown(true);
        await site.start();
        let watch: ReturnType<typeof watchSite> | undefined;
        for (const tag of ['v1', 'v2']) {
          const { body } = await site.requestDeploy(tag);
          expect((await site.waitFinal(body.id!, DEPLOY_BOUND_MS)).status).toBe('succeeded');
          watch ??= watchSite(site);
        }
        await expectConverged(site, 'v2');
        const seen = await watch!.stop();
        expect(seen.failures).toBe(0);
        expect(site.npm.requests).toEqual([]);
        reportDrills('NPM faults during a deploy', [
          {
            drill: 'NPM faults (not applicable: the built-in router routes, NPM is not configured)',
            happened: `with NPM down, 2 deploys succeeded, 0 requests to NPM; site: ${seen.failures}/${seen.sent} probes failed during the second`,
            recoveryMs: 'n/a',
            lost: 'nothing',
          },
        ]);
      } finally {
        await site.close();
      }
    });
  });

if (routesThroughNpm)
  describe.skipIf(!hasDocker)('NPM faults during a deploy', () => {
    let site: DrillSite;
    const rows: DrillRow[] = [];

    beforeAll(async () => {
      site = await openDrillSite('npmfault', { v1: 'healthy', v2: 'healthy' });
      await site.start();
      const { body } = await site.requestDeploy('v1');
      expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
    });
    afterAll(async () => {
      reportDrills('NPM faults during a deploy', rows);
      await site?.close();
    });

    const deployThrough = async (inject: () => void, heal: () => void) => {
      const before = (await site.live())!.tag;
      const tag = before === 'v1' ? 'v2' : 'v1';
      const watch = watchSite(site);
      const started = Date.now();
      inject();
      let record;
      try {
        const { status, body } = await site.requestDeploy(tag);
        expect(status).toBe(202);
        record = await site.waitFinal(body.id!, DEPLOY_BOUND_MS);
      } finally {
        heal();
      }
      return { before, tag, record, tookMs: Date.now() - started, seen: await watch.stop() };
    };

    for (const fault of FAULTS) {
      it(`${fault.name}: ${fault.outcome === 'failed' ? 'fails cleanly, old version serving' : 'succeeds after re-login'}`, async () => {
        const logins = () => site.npm.requests.filter((r) => r.operationId === 'requestToken').length;
        const loginsBefore = logins();
        const { before, tag, record, tookMs, seen } = await deployThrough(
          () => fault.inject(site.npm),
          () => fault.heal(site.npm),
        );
        expect(record.status, JSON.stringify(record.error)).toBe(fault.outcome);
        if (fault.outcome === 'failed') expect(record.error?.phase).toBe('switch');
        await expectConverged(site, fault.outcome === 'failed' ? before : tag);
        expect(seen.failures, 'the site answered throughout').toBe(0);
        if (/token|keys/i.test(fault.name)) expect(logins(), 'logged in again').toBeGreaterThan(loginsBefore);
        rows.push({
          drill: fault.name,
          happened: `deploy ${record.status}${record.error ? ` in ${record.error.phase}: ${record.error.message.slice(0, 140)}` : ''}; ${fault.outcome === 'failed' ? before : tag} serving; site ${seen.failures}/${seen.sent} probes failed`,
          recoveryMs: `deploy final in ${tookMs} ms`,
          lost: record.status === 'failed' ? `the ${tag} deploy (send again once NPM is back)` : 'nothing',
        });
      });
    }

    /** Milliseconds until the stage's NPM host forwards to the live container's published port. */
    const routeOnLiveWithin = async (boundMs: number): Promise<number> => {
      const started = Date.now();
      for (;;) {
        const live = await site.live();
        const inspected = live ? await testDocker().getContainer(live.containerId).inspect() : undefined;
        const port = inspected?.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
        const host = site.npm.hosts().find((h) => h.domain_names.includes(site.domain));
        if (port !== undefined && String(host?.forward_port) === port) return Date.now() - started;
        if (Date.now() - started > boundMs) return Date.now() - started;
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    it('NPM slow (10 s per answer): ends within the bound, converged either way', async () => {
      const { before, tag, record, tookMs, seen } = await deployThrough(
        () => site.npm.setDelay(10_000),
        () => site.npm.setDelay(0),
      );
      // A 10 s answer meets the 10 s per-request timeout: success and clean failure are both fine,
      // a proxy host left pointing at a removed container is not (expectConverged checks it).
      expect(['succeeded', 'failed']).toContain(record.status);
      // Requests NPM answers late still land late, in any order; the route keeper asserts the
      // live route after the deploy, and that request waits its turn too. Bound: 30 s.
      const convergedMs = await routeOnLiveWithin(30_000);
      // A version the proxy may still have routed to was left running; it goes right after.
      await convergedWithin(site, record.status === 'succeeded' ? tag : before, LEFTOVER_BOUND_MS);
      rows.push({
        drill: 'NPM slow (10 s per answer)',
        happened: `deploy ${record.status}${record.error ? ` in ${record.error.phase}: ${record.error.message.slice(0, 140)}` : ''}; site ${seen.failures}/${seen.sent} probes failed, longest gap ${seen.longestOutageMs} ms`,
        recoveryMs: `deploy final in ${tookMs} ms; route on the live container ${convergedMs} ms later`,
        lost: record.status === 'failed' ? `the ${tag} deploy` : 'nothing',
      });
      expect(seen.failures, 'the site answered throughout').toBe(0);
    });

    it('NPM stores the switch but its answers to writes never come in time: the new version serves until the route is back', async () => {
      // Reads answer at once, writes after 10 s (the client's timeout): the switch's PUT lands
      // although the deploy saw no answer, and so does the undo's. The new container must serve
      // whatever nginx sends it until the route keeper has put the route back after the deploy.
      const { before, tag, record, tookMs, seen } = await deployThrough(
        () => site.npm.setDelay(10_000, ['PUT', 'POST']),
        () => site.npm.setDelay(0),
      );
      expect(record.status, JSON.stringify(record.error)).toBe('failed');
      expect(record.error?.phase).toBe('switch');
      const convergedMs = await routeOnLiveWithin(30_000);
      // The route keeper's own write after the deploy may meet the slow NPM too (one 10 s
      // timeout, then a try again) before it removes the container left running.
      const leftMs = await convergedWithin(site, before, LEFTOVER_BOUND_MS);
      rows.push({
        drill: 'NPM answers writes too late (they land all the same)',
        happened: `deploy ${record.status} in ${record.error?.phase}: ${record.error?.message.slice(0, 120)}; site ${seen.failures}/${seen.sent} probes failed, longest gap ${seen.longestOutageMs} ms`,
        recoveryMs: `deploy final in ${tookMs} ms; route back on ${before} ${convergedMs} ms later, ${tag} removed ${leftMs} ms after that`,
        lost: `the ${tag} deploy`,
      });
      expect(seen.failures, 'the site answered throughout').toBe(0);
    });

    it('NPM database reset, host not re-created: the route keeper creates it again within one check', async () => {
      await site.stop();
      await site.start({ config: { routeCheckSeconds: 1 } });
      const live = (await site.live())!;
      const started = Date.now();
      await site.npm.resetDatabase();
      const backMs = await routeOnLiveWithin(10_000);
      await expectConverged(site, live.tag);
      rows.push({
        drill: 'NPM database reset (no host, new keys)',
        happened: `the route keeper logged in again and re-created the host (id ${site.npm.hosts()[0]?.id})`,
        recoveryMs: `host back ${Date.now() - started} ms after the reset (route_check_seconds: 1; ${backMs} ms to forward)`,
        lost: 'nothing',
      });
      expect(backMs).toBeLessThan(5_000);
    });

    it('NPM database reset, a person re-created the host at the remembered id: it is never changed', async () => {
      const live = (await site.live())!;
      const remembered = site.npm.hosts().find((h) => h.domain_names.includes(site.domain))!.id;
      await site.npm.resetDatabase();
      const inspected = await testDocker().getContainer(live.containerId).inspect();
      const handMade = await site.npm.addHandMadeHost({
        domain_names: [site.domain],
        forward_host: '127.0.0.1',
        forward_port: Number(inspected.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort),
        meta: { note: 'made by hand after the reset' },
      });
      expect(handMade.id, 'the hand-made host got the id docker-watcher remembered').toBe(remembered);
      const writes = () =>
        site.npm.requests.filter((r) => r.path.startsWith('/api/nginx/proxy-hosts') && r.method !== 'GET')
          .length;
      const writesBefore = writes();

      // A restart (reconcile, the route keeper's first pass and its checks) and a deploy.
      await site.stop();
      await site.start({ config: { routeCheckSeconds: 1 } });
      await new Promise((r) => setTimeout(r, 2_500));
      const tag = live.tag === 'v1' ? 'v2' : 'v1';
      const { body } = await site.requestDeploy(tag);
      const record = await site.waitFinal(body.id!, DEPLOY_BOUND_MS);
      expect(record.status).toBe('failed');
      expect(record.error?.phase).toBe('switch');
      expect(record.error?.message).toContain(
        `NPM proxy host ${handMade.id} for ${site.domain} was not created by docker-watcher`,
      );
      expect(writes(), 'no write to the hand-made host').toBe(writesBefore);
      expect(site.npm.hosts()).toEqual([handMade]);
      expect((await site.live())!.tag).toBe(live.tag);
      rows.push({
        drill: 'NPM database reset, hand-made host at the remembered id',
        happened: `restart and a ${tag} deploy: host ${handMade.id} left exactly as made (0 writes); deploy failed in switch: ${record.error!.message.slice(0, 110)}`,
        recoveryMs: 'n/a (a person decides: remove the host or set adopt_existing)',
        lost: `the ${tag} deploy`,
      });
      await site.npm.removeHandMadeHost(handMade.id);
    });
  });

if (routesThroughNpm)
  describe.skipIf(!hasDocker)('the first deploy of a stage through NPM', () => {
    let site: DrillSite;
    const rows: DrillRow[] = [];
    beforeAll(async () => {
      site = await openDrillSite('npmfirst', { v1: 'healthy' });
      await site.start();
    });
    afterAll(async () => {
      reportDrills('the first deploy of a stage through NPM', rows);
      await site?.close();
    });

    it('serves the new version to a request sent the moment the deploy reports success', async () => {
      const { body } = await site.requestDeploy('v1');
      // As a CI smoke test right after the step exits: poll tightly, request at once.
      let record;
      for (;;) {
        record = (await site.deploys(5)).find((d) => d.id === body.id);
        if (record && !['queued', 'running', 'awaiting_approval'].includes(record.status)) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const answer = await getWithHost(site.nginx.port, site.domain);
      expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
      expect(answer.body, "not NPM's default site").toContain('version v1');
      const log = record.phases.find((p) => p.phase === 'switch');
      rows.push({
        drill: 'first deploy, request at the moment of success',
        happened: `answer ${answer.status} "${answer.body.trim().slice(0, 30)}"; switch phase ${log ? Date.parse(log.finishedAt ?? '') - Date.parse(log.startedAt) : '?'} ms`,
        recoveryMs: 'n/a',
        lost: 'nothing',
      });
    });
  });
