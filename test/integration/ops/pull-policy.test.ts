import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { createDockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import { LABEL_INSTANCE, type DockerEngine } from '../../../src/docker/engine.js';
import { requireDocker, useTestInstance } from '../../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY, type TestImage } from '../../helpers/test-images.js';
import { fastGlobal, realDeployer, uniqueProject } from '../deploy/real-deployer.js';

const run = promisify(execFile);
const hasDocker = await requireDocker();

describe.skipIf(!hasDocker)('pull_policy on the real engine', () => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const repository = `ops-it/${project}/pull`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  let present: TestImage;
  let onlyInRegistry: TestImage;

  beforeAll(async () => {
    [present, onlyInRegistry] = await Promise.all([
      buildTestImage({ repository, tag: 'present', behaviour: 'healthy', instanceId }),
      buildTestImage({ repository, tag: 'remote', behaviour: 'healthy', instanceId }),
    ]);
    // Only in the registry from here on: a pull would bring it back.
    await run('docker', ['rmi', onlyInRegistry.ref]);
  });

  /** The real engine, counting pulls. */
  function countingEngine() {
    const engine = createDockerodeEngine({ networkLabels: { [LABEL_INSTANCE]: instanceId } });
    const pulls: string[] = [];
    const docker: DockerEngine = {
      ...engine,
      pullImage: (ref, options) => (pulls.push(ref), engine.pullImage(ref, options)),
    };
    return { docker, pulls, engine };
  }

  function deployerWith(policy: 'always' | 'if-missing' | 'never', stage: string) {
    const config: ConfigInput = {
      global: fastGlobal(instanceId),
      projects: {
        [project]: {
          image,
          port: 8080,
          healthcheck: '/health',
          pull_policy: policy,
          stages: { [stage]: { tag_pattern: '*', auto_deploy: true } },
        },
      },
    };
    const counting = countingEngine();
    return { ...counting, fx: realDeployer({ instanceId, config, docker: counting.docker }) };
  }

  it('never: a missing image fails clearly in resolve, and nothing is pulled', async () => {
    const { fx, pulls, engine } = deployerWith('never', 'nev');
    const record = await fx.deploy({ project, stage: 'nev', image, tag: 'remote', trigger: 'ci' });
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('resolve');
    expect(record.error?.message).toMatch(
      /remote is not present on the Docker host .*pull_policy never.*if-missing/,
    );
    expect(pulls).toEqual([]);
    expect(await engine.inspectImage(onlyInRegistry.ref)).toBeUndefined();
  });

  it('never: a present image deploys without a pull', async () => {
    const { fx, pulls } = deployerWith('never', 'nevok');
    const record = await fx.deploy({ project, stage: 'nevok', image, tag: 'present', trigger: 'ci' });
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    expect(pulls).toEqual([]);
  });

  it('always: a deploy by digest does not pull what is present', async () => {
    const { fx, pulls } = deployerWith('always', 'dig');
    const record = await fx.deploy({
      project,
      stage: 'dig',
      image,
      tag: 'present',
      digest: present.digest,
      trigger: 'ci',
    });
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    expect(record.imageRef).toBe(present.digestRef);
    expect(pulls).toEqual([]);
  });

  it('always: a tag is pulled every time; if-missing pulls only what is missing', async () => {
    const always = deployerWith('always', 'alw');
    const pulled = await always.fx.deploy({ project, stage: 'alw', image, tag: 'present', trigger: 'ci' });
    expect(pulled.status, JSON.stringify(pulled.error)).toBe('succeeded');
    expect(always.pulls).toEqual([present.ref]);

    const ifMissing = deployerWith('if-missing', 'ifm');
    const first = await ifMissing.fx.deploy({ project, stage: 'ifm', image, tag: 'present', trigger: 'ci' });
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(ifMissing.pulls).toEqual([]);
    const second = await ifMissing.fx.deploy({ project, stage: 'ifm', image, tag: 'remote', trigger: 'ci' });
    expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
    expect(ifMissing.pulls).toEqual([onlyInRegistry.ref]);
  });
});
