import { randomBytes } from 'node:crypto';
import { resolveDeploySettings, type DeploySettings } from '../../../src/config/deploy-settings.js';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { systemClock } from '../../../src/core/clock.js';
import type { DeployIntent } from '../../../src/core/deploy-types.js';
import { createDeployer, type DeployerDeps } from '../../../src/deploy/deployer.js';
import { createRuntime } from '../../../src/docker/swarm/create-runtime.js';
import { LABEL_INSTANCE, type DockerEngine } from '../../../src/docker/engine.js';
import { silentLogger } from '../../../src/log/logger.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeRouter } from '../../fakes/fake-router.js';
import { dockerSocket } from '../../helpers/docker-env.js';

/** A short project name unique to one test file, so container names never meet another run's. */
export function uniqueProject(): string {
  return `it${randomBytes(3).toString('hex')}`;
}

/** Global settings that keep real deploys fast: no drain, quick stops, short health deadlines. */
export function fastGlobal(instanceId: string): NonNullable<ConfigInput['global']> {
  return {
    network: `dw-net-${instanceId}`,
    keep_versions: 2,
    docker: { drain_seconds: 0, stop_timeout_seconds: 2, publish_host: '127.0.0.1', reach: 'host' },
    health: { deadline_seconds: 4, interval_seconds: 0.2, timeout_seconds: 1 },
  };
}

export interface RealDeployerSetup {
  instanceId: string;
  config: ConfigInput;
  secrets?: Record<string, string>;
  docker?: DockerEngine;
  store?: Store;
  router?: FakeRouter;
  deps?: Partial<DeployerDeps>;
}

/** The root's runtime for a config: containers, plus Swarm services for projects with runtime: swarm. */
export function realRuntime(instanceId: string, config: ConfigInput): DockerEngine {
  const loaded = {
    config: configSchema.parse(config),
    file: '/nonexistent/dw.yml',
    dir: '/nonexistent',
    secrets: {},
  };
  return runtimeFor(instanceId, resolveDeploySettings(loaded));
}

function runtimeFor(instanceId: string, settings: DeploySettings): DockerEngine {
  return createRuntime({
    settings,
    socketPath: dockerSocket(),
    networkLabels: { [LABEL_INSTANCE]: instanceId },
  });
}

/** The real deployer on the real Docker engine, an in-memory SQLite store and a recording router. */
export function realDeployer(setup: RealDeployerSetup) {
  const store = setup.store ?? openSqliteStore(':memory:');
  const router = setup.router ?? new FakeRouter();
  const loaded: LoadedConfig = {
    config: configSchema.parse(setup.config),
    file: '/nonexistent/dw.yml',
    dir: '/nonexistent',
    secrets: setup.secrets ?? {},
  };
  const settings = resolveDeploySettings(loaded);
  const docker = setup.docker ?? runtimeFor(setup.instanceId, settings);
  const deployer = createDeployer({
    settings,
    docker,
    store,
    router,
    clock: systemClock,
    logger: silentLogger,
    instanceId: setup.instanceId,
    reach: 'host',
    ...setup.deps,
  });
  return {
    docker,
    store,
    router,
    loaded,
    settings,
    deployer,
    async deploy(intent: DeployIntent) {
      return deployer.waitFor(deployer.submit(intent).id);
    },
  };
}

/** GET a URL's body, or the error's message when nothing answers. */
export async function fetchBody(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return `${response.status} ${await response.text()}`;
  } catch (error) {
    return `unreachable: ${error instanceof Error ? error.message : String(error)}`;
  }
}
