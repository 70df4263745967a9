import { FakeDockerEngine } from '../fakes/fake-docker-engine.js';
import { runtimeContract } from './runtime.contract.js';

/** The Runtime contract against the in-memory fake the unit tests deploy on. */
runtimeContract('the in-memory fake', () => {
  const engine = new FakeDockerEngine();
  const image = 'registry.test/contract/app:v1';
  engine.addImage(image);
  return {
    runtime: engine,
    image,
    port: 8080,
    missingImage: 'registry.test/contract/nothing:missing',
    network: 'dw-contract',
    instanceId: 'contract-instance',
  };
});
