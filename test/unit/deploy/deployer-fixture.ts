import { resolveDeploySettings } from '../../../src/config/deploy-settings.js';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import type { DeployIntent } from '../../../src/core/deploy-types.js';
import { createDeployer, type Deployer, type DeployerDeps } from '../../../src/deploy/deployer.js';
import type { HealthWaiter } from '../../../src/deploy/swap-context.js';
import { silentLogger } from '../../../src/log/logger.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeDockerEngine } from '../../fakes/fake-docker-engine.js';
import { FakeRouter } from '../../fakes/fake-router.js';

export const IMAGE = 'registry.test/web';
export const INSTANCE = 'unit-instance';

export const baseConfig: ConfigInput = {
  global: { domain: 'example.test', keep_versions: 1, docker: { drain_seconds: 2 } },
  projects: {
    web: {
      image: IMAGE,
      port: 8080,
      healthcheck: '/health',
      stages: {
        dev: { tag_pattern: '*', auto_deploy: true },
        rel: { tag_pattern: 'v*', auto_deploy: false },
        prod: { tag_pattern: 'v*', auto_deploy: true, confirm: true },
        promo: { tag_pattern: '*', auto_deploy: true, promote_from: 'dev' },
      },
    },
  },
};

/** A deployer on the fake engine, fake router, fake clock and an in-memory SQLite store. */
export function deployerFixture(
  options: { config?: ConfigInput; deps?: Partial<DeployerDeps>; secrets?: Record<string, string> } = {},
) {
  const clock = new FakeClock();
  const docker = new FakeDockerEngine(clock);
  const store: Store = openSqliteStore(':memory:');
  const router = new FakeRouter();
  const loaded: LoadedConfig = {
    config: configSchema.parse(options.config ?? baseConfig),
    file: '/srv/dw/dw.yml',
    dir: '/srv/dw',
    secrets: options.secrets ?? {},
  };
  const settings = resolveDeploySettings(loaded);
  let n = 0;
  const fixture = {
    clock,
    docker,
    store,
    router,
    loaded,
    settings,
    /** Replace to make health checks fail or wait. */
    health: (async () => {}) as HealthWaiter,
    deployer: undefined as unknown as ReturnType<typeof createDeployer>,
    /** Makes `tag` pullable from the fake registry. */
    publish(tag: string) {
      docker.setPullResult(`${IMAGE}:${tag}`, {});
    },
    intent(tag: string, extra: Partial<DeployIntent> = {}): DeployIntent {
      return { project: 'web', stage: 'dev', image: IMAGE, tag, trigger: 'ci', ...extra };
    },
    /** Submits and waits for the final record. */
    async deploy(tag: string, extra: Partial<DeployIntent> = {}) {
      const record = fixture.deployer.submit(fixture.intent(tag, extra));
      return fixture.deployer.waitFor(record.id);
    },
    /** Containers of the web project, as the fake engine holds them. */
    containers() {
      return docker.allContainers().filter((c) => c.labels['docker-watcher.project'] === 'web');
    },
  };
  const build = (deps: Partial<DeployerDeps> = {}) =>
    createDeployer({
      settings,
      docker,
      store,
      router,
      clock,
      logger: silentLogger,
      instanceId: INSTANCE,
      newId: () => `d${String(++n).padStart(4, '0')}`,
      reach: 'host',
      readEnvFile: () => ({}),
      waitUntilHealthy: (o) => fixture.health(o),
      ...options.deps,
      ...deps,
    });
  fixture.deployer = build();
  /**
   * A new deployer on the same store, engine and router, as after a crash of the process (the old
   * one's hung deploys are simply never looked at again); call its recover() as the app does.
   */
  Object.assign(fixture, {
    restart(deps: Partial<DeployerDeps> = {}) {
      fixture.deployer = build(deps);
      return fixture.deployer;
    },
  });
  return fixture as typeof fixture & { restart(deps?: Partial<DeployerDeps>): Deployer };
}
