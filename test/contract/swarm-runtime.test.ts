import { beforeAll, describe } from 'vitest';
import { createDockerodeEngine } from '../../src/docker/dockerode-engine.js';
import { LABEL_INSTANCE } from '../../src/docker/engine.js';
import { createSwarmEngine } from '../../src/docker/swarm/swarm-engine.js';
import { requireDocker, testRunId, useTestInstance } from '../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY } from '../helpers/test-images.js';
import { ensureTestSwarm } from '../helpers/test-swarm.js';
import { runtimeContract, type RuntimeUnderTest } from './runtime.contract.js';

const hasDocker = await requireDocker();

/**
 * The Runtime contract against the Swarm runtime on a real single-node Swarm: every "container"
 * of the suite is a service with one replica.
 */
describe.skipIf(!hasDocker)('Swarm runtime on a real Swarm', () => {
  const instanceId = useTestInstance();
  let subject: RuntimeUnderTest | undefined;

  beforeAll(async () => {
    await ensureTestSwarm(testRunId());
    const built = await buildTestImage({
      repository: `contract/${instanceId}/app`,
      tag: 'v1',
      behaviour: 'healthy',
      instanceId,
    });
    const networkLabels = { [LABEL_INSTANCE]: instanceId };
    subject = {
      runtime: createSwarmEngine({
        local: createDockerodeEngine({ networkLabels }),
        networkLabels,
        serviceSettings: () => ({
          swarm: {
            replicas: 1,
            network: `dw-contract-${instanceId}`,
            placement: [],
            update: { parallelism: 1, delaySeconds: 0, order: 'start-first' },
            startTimeoutSeconds: 20,
          },
        }),
      }),
      image: built.ref,
      port: 8080,
      missingImage: `${OPEN_REGISTRY}/contract/${instanceId}/nothing:missing`,
      network: `dw-contract-${instanceId}`,
      instanceId,
    };
  });

  runtimeContract('Swarm services on a real Swarm', () => subject!);
});
