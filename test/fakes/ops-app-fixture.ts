import { createApp } from '../../app/create-app.js';
import type { LoadedConfig } from '../../src/config/loaded-config.js';
import { configSchema } from '../../src/config/schema.js';
import { LABEL_INSTANCE, LABEL_PROJECT, LABEL_STAGE, type ContainerSpec } from '../../src/docker/engine.js';
import { silentLogger } from '../../src/log/logger.js';
import { createStageOps } from '../../src/ops/stage-ops.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { API_TOKEN, GLOBAL_SECRET, SHOP_SECRET, TEST_CONFIG } from './app-fixture.js';
import { FakeDeployer } from './fake-deployer.js';
import { FakeDockerEngine } from './fake-docker-engine.js';
import type { CertificateStatus } from '../../src/proxy/router.js';

export const INSTANCE = 'unit-instance';
export const bearer = { headers: { authorization: `Bearer ${API_TOKEN}` } };

/** A managed container spec of project/stage with a 64 MiB limit. */
export function spec(project: string, stage: string, name: string): ContainerSpec {
  return {
    name,
    image: '127.0.0.1:5000/acme/web@sha256:1',
    labels: { [LABEL_PROJECT]: project, [LABEL_STAGE]: stage, [LABEL_INSTANCE]: INSTANCE },
    env: [],
    volumes: [],
    network: 'dw',
    port: 8080,
    publishHost: '127.0.0.1',
    restartPolicy: 'unless-stopped',
    memoryBytes: 64 * 1024 * 1024,
  };
}

/** The app with stage ops over the fake engine; web/dev is live in container dw-web-dev-v1. */
export function opsAppFixture(
  options: { ops?: boolean; certificateOf?: (domain: string) => CertificateStatus | undefined } = {},
) {
  const loaded: LoadedConfig = {
    config: configSchema.parse(TEST_CONFIG),
    file: '/test/dw.yaml',
    dir: '/test',
    secrets: { DOCKER_WATCHER_SECRET: GLOBAL_SECRET, SHOP_SECRET, DOCKER_WATCHER_TOKEN: API_TOKEN },
  };
  const store = openSqliteStore(':memory:');
  const docker = new FakeDockerEngine();
  const deploys = new FakeDeployer({ store });
  const live = docker.addContainer(spec('web', 'dev', 'dw-web-dev-v1'), { state: 'running' });
  store.setLive({
    project: 'web',
    stage: 'dev',
    deployId: 'd1',
    tag: 'v1',
    image: '127.0.0.1:5000/acme/web',
    imageRef: live.image,
    containerId: live.id,
    containerName: live.name,
    since: new Date().toISOString(),
  });
  const ops = createStageOps({ config: loaded.config, docker, store, instanceId: INSTANCE });
  const clock = { now: () => new Date(), sleep: () => Promise.resolve() };
  const app = createApp({
    loaded,
    deployer: deploys,
    store,
    clock,
    logger: silentLogger,
    heartbeatMs: 60_000,
    ...(options.ops === false ? {} : { ops }),
    ...(options.certificateOf ? { certificateOf: options.certificateOf } : {}),
  });
  return { app, docker, store, deploys, live };
}
