import type { TestProject } from 'vitest/node';
import { OPEN_REGISTRY, AUTH_REGISTRY } from './test-images.js';
import { cleanupInstancePrefix, dockerAvailable, dockerSocket, newRunId, RUN_ID_ENV } from './docker-env.js';

/**
 * Runs once per `vitest run`: picks this run's id prefix (handed to workers with provide/inject
 * and an env var), checks Docker and the registries, and at teardown removes every Docker object
 * whose instance id carries the prefix, in case a test file's own clean-up did not run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = newRunId();
  process.env[RUN_ID_ENV] = runId;
  project.provide('dwTestRunId', runId);

  const docker = await dockerAvailable();
  project.provide('dwDockerAvailable', docker);
  const problems = docker ? await registryProblems() : [`Docker engine on ${dockerSocket()} does not answer`];
  if (problems.length > 0) {
    const message = `test services missing: ${problems.join('; ')}. Start them with \`bash .ci/services.sh\`.`;
    // Under CI a missing service fails the whole run at once; locally only Docker tests fail.
    if (process.env.CI === 'true') throw new Error(message);
    if (process.env.DW_SKIP_DOCKER !== '1') console.warn(`global-setup: ${message}`);
  }

  return async () => {
    if (!docker) return;
    try {
      await cleanupInstancePrefix(runId);
    } catch (error) {
      console.warn(`global-setup: clean-up of ${runId} failed: ${String(error)}`);
    }
  };
}

async function registryProblems(): Promise<string[]> {
  const problems: string[] = [];
  for (const [registry, expected] of [
    [OPEN_REGISTRY, 200],
    [AUTH_REGISTRY, 401],
  ] as const) {
    try {
      const response = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(3000) });
      if (response.status !== expected)
        problems.push(`registry ${registry} answered ${response.status}, expected ${expected}`);
    } catch (error) {
      problems.push(`registry ${registry} is unreachable (${String(error)})`);
    }
  }
  return problems;
}
