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

/** Milliseconds until expectConverged holds, tried every second; its last failure past `boundMs`. */
export async function convergedWithin(
  site: DrillSite,
  tag: string | undefined,
  boundMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await expectConverged(site, tag);
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > boundMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * The checks after every drill: exactly one running container (on a Swarm: service) on the stage and it is the live
 * one; the NPM host forwards to it and the site answers with its version through nginx; every
 * other container is a kept version of a succeeded deploy; no network but the configured one;
 * nothing in the history still queued or running.
 */
export async function expectConverged(site: DrillSite, expectedTag?: string): Promise<Converged> {
  const docker = testDocker();
  const live = await site.live();
  expect(live, 'the stage has a live version').toBeDefined();
  if (expectedTag !== undefined) expect(live!.tag).toBe(expectedTag);

  const { versions, liveHostPort } = await stageVersions(site, live!.containerId);
  const running = versions.filter((v) => v.running);
  expect(
    running.map((v) => v.name),
    `exactly one running ${site.runtime === 'swarm' ? 'service' : 'container'} on the stage`,
  ).toHaveLength(1);
  expect(running[0]!.id).toBe(live!.containerId);

  const history = await site.deploys();
  const unfinished = history.filter((d) => d.status === 'queued' || d.status === 'running');
  expect(
    unfinished.map((d) => `${d.id} ${d.status}`),
    'no deploy left unfinished',
  ).toEqual([]);
  const succeeded = new Set(history.filter((d) => d.status === 'succeeded').map((d) => d.id));
  const orphans = versions.filter((v) => !v.running && !succeeded.has(v.deployId ?? ''));
  expect(
    orphans.map((v) => `${v.name} ${v.state}`),
    'no orphan container',
  ).toEqual([]);

  const networks = await docker.listNetworks({
    filters: { label: [`${LABEL_INSTANCE}=${site.instanceId}`] },
  });
  const network = `dw-drill-${site.instanceId.slice(-8)}`;
  // A Swarm stage's services are on the overlay network beside it (global.network + -swarm).
  const expected = site.runtime === 'swarm' ? [network, `${network}-swarm`] : [network];
  expect(networks.map((n) => n.Name).filter((n) => !expected.includes(n))).toEqual([]);

  const hostPort = liveHostPort;
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
    containers: versions.map((v) => v.name),
  };
}

interface StageVersion {
  id: string;
  name: string;
  state: string;
  running: boolean;
  deployId: string | undefined;
}

/**
 * The versions of the drill's stage on the engine: its containers, or on a Swarm its services
 * (a service runs when scaled up; its tasks' containers are the service's, not versions), and
 * the host port the live one is published on.
 */
async function stageVersions(
  site: DrillSite,
  liveId: string,
): Promise<{ versions: StageVersion[]; liveHostPort: string | undefined }> {
  const docker = testDocker();
  const label = [`${LABEL_INSTANCE}=${site.instanceId}`, `${LABEL_STAGE}=dev`];
  if (site.runtime === 'swarm') {
    const services = await docker.listServices({ filters: JSON.stringify({ label }) });
    const tasks = await docker.listTasks({
      filters: JSON.stringify({ service: [liveId], 'desired-state': ['running'] }),
    });
    const port = (tasks as { Status?: { PortStatus?: { Ports?: { PublishedPort?: number }[] } } }[])
      .map((task) => task.Status?.PortStatus?.Ports?.[0]?.PublishedPort)
      .find((published) => published !== undefined);
    return {
      versions: services.map((service) => {
        const replicas = service.Spec?.Mode?.Replicated?.Replicas ?? 0;
        return {
          id: service.ID,
          name: service.Spec?.Name ?? service.ID,
          state: `${replicas} replicas`,
          running: replicas > 0,
          deployId: service.Spec?.Labels?.[LABEL_DEPLOY],
        };
      }),
      liveHostPort: port === undefined ? undefined : String(port),
    };
  }
  const containers = await docker.listContainers({ all: true, filters: { label } });
  const inspected = await docker.getContainer(liveId).inspect();
  return {
    versions: containers.map((c) => ({
      id: c.Id,
      name: c.Names[0]!,
      state: c.State,
      running: c.State === 'running',
      deployId: c.Labels[LABEL_DEPLOY],
    })),
    liveHostPort: inspected.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort,
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
