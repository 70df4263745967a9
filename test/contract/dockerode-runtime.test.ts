import { beforeAll, describe } from 'vitest';
import { createDockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { LABEL_INSTANCE } from '../../src/docker/engine.js';
import { requireDocker, useTestInstance } from '../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';
import { runtimeContract, type RuntimeUnderTest } from './runtime.contract.js';

const hasDocker = await requireDocker();

/** The Runtime contract against the dockerode adapter on the real engine (a busybox test image). */
describe.skipIf(!hasDocker)('dockerode adapter on the real engine', () => {
  const instanceId = useTestInstance();
  let subject: RuntimeUnderTest | undefined;

  beforeAll(async () => {
    const built = await buildTestImage({
      repository: `contract/${instanceId}/app`,
      tag: 'v1',
      behaviour: 'healthy',
      instanceId,
    });
    subject = {
      runtime: createDockerodeEngine({ networkLabels: { [LABEL_INSTANCE]: instanceId } }),
      image: built.ref,
      port: 8080,
      missingImage: `${OPEN_REGISTRY}/contract/${instanceId}/nothing:missing`,
      network: `dw-contract-${instanceId}`,
      instanceId,
    };
  });

  runtimeContract('dockerode on the real engine', () => subject!);
});
