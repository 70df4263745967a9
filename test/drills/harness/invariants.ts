import { expect } from 'vitest';
import { LABEL_DEPLOY, LABEL_INSTANCE, LABEL_STAGE } from '../../../src/docker/engine.js';
import { testDocker } from '../../helpers/docker-env.js';
import { getWithHost } from '../../helpers/host-traffic.js';
import type { DrillSite } from './drill-site.js';

/** What a converged stage looks like; returned for the drill's report. */
export interface Converged {
  liveTag: string;
  liveContainer: string;
  containers: string[];
}

/**
 * The checks after every drill: exactly one running container on the stage and it is the live
 * one; the NPM host forwards to it and the site answers with its version through nginx; every
 * other container is a kept version of a succeeded deploy; no network but the configured one;
 * nothing in the history still queued or running.
 */
export async function expectConverged(site: DrillSite, expectedTag?: string): Promise<Converged> {
  const docker = testDocker();
  const live = await site.live();
  expect(live, 'the stage has a live version').toBeDefined();
  if (expectedTag !== undefined) expect(live!.tag).toBe(expectedTag);

  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_INSTANCE}=${site.instanceId}`, `${LABEL_STAGE}=dev`] },
  });
  const running = containers.filter((c) => c.State === 'running');
  expect(
    running.map((c) => c.Names[0]),
    'exactly one running container on the stage',
  ).toHaveLength(1);
  expect(running[0]!.Id).toBe(live!.containerId);

  const history = await site.deploys();
  const unfinished = history.filter((d) => d.status === 'queued' || d.status === 'running');
  expect(
    unfinished.map((d) => `${d.id} ${d.status}`),
    'no deploy left unfinished',
  ).toEqual([]);
  const succeeded = new Set(history.filter((d) => d.status === 'succeeded').map((d) => d.id));
  const orphans = containers.filter(
    (c) => c.State !== 'running' && !succeeded.has(c.Labels[LABEL_DEPLOY] ?? ''),
  );
  expect(
    orphans.map((c) => `${c.Names[0]} ${c.State}`),
    'no orphan container',
  ).toEqual([]);

  const networks = await docker.listNetworks({
    filters: { label: [`${LABEL_INSTANCE}=${site.instanceId}`] },
  });
  expect(networks.map((n) => n.Name).filter((n) => n !== `dw-drill-${site.instanceId.slice(-8)}`)).toEqual(
    [],
  );

  const inspected = await docker.getContainer(live!.containerId).inspect();
  const hostPort = inspected.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
  if (site.router !== 'builtin') {
    const hosts = site.npm.hosts().filter((h) => h.domain_names.includes(site.domain));
    expect(hosts, 'one NPM proxy host for the stage').toHaveLength(1);
    expect(hosts[0]!.enabled).toBeTruthy();
    if (site.router === 'front')
      expect(hosts[0]!.forward_port, 'the proxy host forwards to the built-in router').toBe(site.routerPort);
    else
      expect(String(hosts[0]!.forward_port), 'the proxy host forwards to the live container').toBe(hostPort);
    await site.npm.settled(); // NPM answers before nginx serves its last change
  } else {
    expect(site.npm.hosts(), 'the built-in router writes nothing to NPM').toEqual([]);
  }
  const answer = await getWithHost(site.entryPort, site.domain);
  expect(answer.status, answer.body).toBe(200);
  expect(answer.body).toContain(`version ${live!.tag}`);
  return {
    liveTag: live!.tag,
    liveContainer: live!.containerName,
    containers: containers.map((c) => c.Names[0]!),
  };
}

/** Watches the site through its entry (nginx or the built-in router): the longest stretch without a 200 and how many requests failed. */
export function watchSite(site: DrillSite, intervalMs = 50) {
  let stopped = false;
  let failures = 0;
  let sent = 0;
  let downSince: number | undefined;
  let longestOutageMs = 0;
  const loop = (async () => {
    while (!stopped) {
      sent++;
      const ok = await getWithHost(site.entryPort, site.domain).then(
        (r) => r.status === 200,
        () => false,
      );
      const now = Date.now();
      if (ok && downSince !== undefined) {
        longestOutageMs = Math.max(longestOutageMs, now - downSince);
        downSince = undefined;
      } else if (!ok) {
        failures++;
        downSince ??= now;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const open = downSince === undefined ? 0 : Date.now() - downSince;
      return {
        sent,
        failures,
        longestOutageMs: Math.max(longestOutageMs, open),
        stillDown: downSince !== undefined,
      };
    },
  };
}
