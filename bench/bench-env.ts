import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { resolveDeploySettings } from '../src/config/deploy-settings.js';
import type { LoadedConfig } from '../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../src/config/schema.js';
import { systemClock } from '../src/core/clock.js';
import type { DeployIntent, DeployRecord } from '../src/core/deploy-types.js';
import { createDeployer } from '../src/deploy/deployer.js';
import { createRuntime } from '../src/docker/swarm/create-runtime.js';
import { LABEL_INSTANCE } from '../src/docker/engine.js';
import { silentLogger } from '../src/log/logger.js';
import { noProxyRouter, type ProxyRouter } from '../src/proxy/router.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';

/** One benchmark run's identity: every container, network and image it makes carries it. */
export const benchInstance = `bench-${randomBytes(4).toString('hex')}`;
export const benchDocker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Removes everything labelled with this run's instance id (containers, networks, images). */
export async function cleanupBench(): Promise<void> {
  const filters = { label: [`${LABEL_INSTANCE}=${benchInstance}`] };
  // Services first (an engine outside a Swarm has none), then what their tasks leave.
  const services = await benchDocker.listServices({ filters }).catch(() => []);
  for (const service of services) {
    await benchDocker
      .getService(service.ID)
      .remove()
      .catch(() => {});
  }
  // Their tasks stop within the stop grace; the overlay network is free after that.
  if (services.length > 0) await sleep(5000);
  for (const c of await benchDocker.listContainers({ all: true, filters })) {
    await benchDocker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  }
  for (const n of await benchDocker.listNetworks({ filters })) {
    await benchDocker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
  }
  for (const i of await benchDocker.listImages({ filters })) {
    await benchDocker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
  }
}

/** Settings of a quick real deploy: no drain wait, short stop grace, probes every 100 ms. */
export function benchGlobal(
  extra: Partial<NonNullable<ConfigInput['global']>> = {},
): NonNullable<ConfigInput['global']> {
  return {
    network: `dw-${benchInstance}`,
    keep_versions: 1,
    docker: { drain_seconds: 0, stop_timeout_seconds: 2, publish_host: '127.0.0.1', reach: 'host' },
    health: { deadline_seconds: 20, interval_seconds: 0.1, timeout_seconds: 1 },
    ...extra,
  };
}

/** The real deployer on the real engine, with a SQLite store and the given router. */
export function benchDeployer(
  config: ConfigInput,
  options: { router?: ProxyRouter; store?: Store; secrets?: Record<string, string> } = {},
) {
  const store = options.store ?? openSqliteStore(':memory:');
  const loaded: LoadedConfig = {
    config: configSchema.parse(config),
    file: '/bench/docker-watcher.yaml',
    dir: '/bench',
    secrets: options.secrets ?? {},
  };
  const settings = resolveDeploySettings(loaded);
  // The root's runtime: containers, or Swarm services for projects with runtime: swarm.
  const docker = createRuntime({
    settings,
    socketPath: '/var/run/docker.sock',
    networkLabels: { [LABEL_INSTANCE]: benchInstance },
  });
  const deployer = createDeployer({
    settings,
    docker,
    store,
    router: options.router ?? noProxyRouter,
    clock: systemClock,
    logger: silentLogger,
    instanceId: benchInstance,
    reach: 'host',
  });
  return {
    loaded,
    store,
    docker,
    deployer,
    /** Submits and waits; throws when the deploy does not succeed. */
    async deploy(intent: Omit<DeployIntent, 'trigger'>): Promise<DeployRecord> {
      const record = await deployer.waitFor(deployer.submit({ ...intent, trigger: 'manual' }).id);
      if (record.status !== 'succeeded') {
        throw new Error(`bench deploy ${intent.tag} ended ${record.status}: ${record.error?.message ?? ''}`);
      }
      return record;
    },
  };
}

/** Milliseconds a phase of a finished deploy took (NaN when it did not run). */
export function phaseMs(record: DeployRecord, phase: string): number {
  const timing = record.phases.find((p) => p.phase === phase);
  if (!timing?.finishedAt) return Number.NaN;
  return Date.parse(timing.finishedAt) - Date.parse(timing.startedAt);
}

/** Milliseconds from a deploy's start to its end. */
export function totalMs(record: DeployRecord): number {
  return Date.parse(record.finishedAt ?? '') - Date.parse(record.startedAt ?? record.createdAt);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
