import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, inject } from 'vitest';

/** Label that marks every Docker object a test creates, with a per-test-file id as value. */
export const INSTANCE_LABEL = 'docker-watcher.instance-id';
/** Env var through which global setup passes this run's id prefix (fallback to inject). */
export const RUN_ID_ENV = 'DW_TEST_RUN_ID';

declare module 'vitest' {
  export interface ProvidedContext {
    dwTestRunId: string;
    dwDockerAvailable: boolean;
  }
}

/** A dockerode client on the local socket, for test set-up and clean-up only. */
export function testDocker(): Docker {
  return new Docker({ socketPath: dockerSocket() });
}

/** The engine socket tests use: $DOCKER_SOCKET or /var/run/docker.sock. */
export function dockerSocket(): string {
  return process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
}

/** True when the Docker engine answers a ping within three seconds. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    // dockerode accepts { abortSignal } here; its types miss the overload.
    const docker = testDocker() as unknown as { ping(options: object): Promise<unknown> };
    await docker.ping({ abortSignal: AbortSignal.timeout(3000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether Docker-backed tests run: true when Docker answers; false (skip) only when
 * DW_SKIP_DOCKER=1 outside CI; otherwise throws, so a missing engine never passes silently.
 * Use as `const docker = await requireDocker(); describe.skipIf(!docker)(...)`.
 */
export async function requireDocker(): Promise<boolean> {
  if (await dockerAvailable()) return true;
  if (process.env.CI !== 'true' && process.env.DW_SKIP_DOCKER === '1') return false;
  throw new Error(
    `Docker engine is not reachable on ${dockerSocket()}: start it (sudo systemctl start docker, or dockerd)` +
      (process.env.CI === 'true'
        ? ' (CI=true: Docker tests never skip)'
        : ', or set DW_SKIP_DOCKER=1 to skip Docker tests locally'),
  );
}

/** The id prefix shared by every instance id of this test run. */
export function testRunId(): string {
  let provided: string | undefined;
  try {
    provided = inject('dwTestRunId');
  } catch {
    provided = undefined;
  }
  const runId = provided ?? process.env[RUN_ID_ENV];
  if (runId !== undefined && runId !== '') return runId;
  process.env[RUN_ID_ENV] = newRunId();
  return process.env[RUN_ID_ENV];
}

/** A fresh run id: `dwt-` plus time and randomness, lowercase and Docker-name safe. */
export function newRunId(): string {
  return `dwt-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A unique instance id for one test file (or one test): `<run id>-<random>`. */
export function testInstanceId(): string {
  return `${testRunId()}-${randomBytes(4).toString('hex')}`;
}

/** testInstanceId() whose Docker objects are removed in afterAll of the calling file/describe. */
export function useTestInstance(): string {
  const instanceId = testInstanceId();
  afterAll(() => cleanupInstance(instanceId));
  return instanceId;
}

/**
 * Removes every container, network, volume and image labelled
 * docker-watcher.instance-id=<instanceId>. Never touches anything else.
 */
export async function cleanupInstance(instanceId: string): Promise<void> {
  await cleanupMatching((value) => value === instanceId, [`${INSTANCE_LABEL}=${instanceId}`]);
}

/** Removes every labelled object whose instance id is `runId` or `runId-...` (global teardown). */
export async function cleanupInstancePrefix(runId: string): Promise<void> {
  await cleanupMatching((value) => value === runId || value.startsWith(`${runId}-`), [INSTANCE_LABEL]);
}

async function cleanupMatching(
  matches: (instanceId: string) => boolean,
  labelFilter: string[],
): Promise<void> {
  const docker = testDocker();
  const filters = JSON.stringify({ label: labelFilter });
  const ours = (labels: Record<string, string> | null | undefined): boolean => {
    const value = labels?.[INSTANCE_LABEL];
    return value !== undefined && matches(value);
  };
  // Services first (their tasks' containers go with them); an engine outside a Swarm has none.
  const services = await docker.listServices({ filters }).catch(() => []);
  await Promise.all(
    services.filter((s) => ours(s.Spec?.Labels)).map((s) => ignoreGone(docker.getService(s.ID).remove())),
  );
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers
      .filter((c) => ours(c.Labels))
      .map((c) => ignoreGone(docker.getContainer(c.Id).remove({ force: true, v: true }))),
  );
  // Swarm nodes of test workers (startSwarmWorker), whose containers just went: an engine
  // outside a Swarm, or a worker, lists none.
  const nodes = (await docker.listNodes().catch(() => [])) as {
    ID: string;
    Spec?: { Labels?: Record<string, string> };
  }[];
  await Promise.all(
    nodes
      .filter((n) => ours(n.Spec?.Labels))
      .map((n) => ignoreGone(docker.getNode(n.ID).remove({ force: true }))),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.filter((n) => ours(n.Labels)).map((n) => removeNetwork(docker, n.Id)));
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    volumes.filter((v) => ours(v.Labels)).map((v) => ignoreGone(docker.getVolume(v.Name).remove())),
  );
  const images = await docker.listImages({ filters });
  await Promise.all(
    images
      .filter((i) => ours(i.Labels))
      .map((i) => ignoreGone(docker.getImage(i.Id).remove({ force: true }))),
  );
}

/** An overlay network stays in use for a moment after its services are removed: retry a while. */
async function removeNetwork(docker: Docker, id: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ignoreGone(docker.getNetwork(id).remove());
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // A Swarm answers 500 "not found" for an overlay network removed meanwhile.
      if (status === 500 && /not found/i.test(String(error))) return;
      if (status !== 403 || attempt >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function ignoreGone(removal: Promise<unknown>): Promise<void> {
  try {
    await removal;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    // 404: already gone; 409: removal already in progress elsewhere.
    if (status !== 404 && status !== 409) throw error;
  }
}
