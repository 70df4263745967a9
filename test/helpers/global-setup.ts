import type { TestProject } from 'vitest/node';
import { cleanupInstancePrefix, dockerAvailable, dockerSocket, newRunId, RUN_ID_ENV } from './docker-env.js';
import { abandonedRuns, forgetRun, recordRun } from './run-records.js';
import {
  AUTH_REGISTRY_ENV,
  missingBinaries,
  OPEN_REGISTRY_ENV,
  startTestServices,
  type TestServices,
} from './test-services.js';
import { leaveSwarmIfOurs } from './test-swarm.js';

/**
 * Runs once per `vitest run`: picks this run's id prefix (handed to workers with provide/inject
 * and an env var), checks Docker, starts this run's own registries on free loopback ports (their
 * addresses reach the workers as env vars, read by test-images.ts), and at teardown stops them
 * and removes every Docker object whose instance id carries the prefix, in case a test file's own
 * clean-up did not run. Nothing listens on a fixed port; nothing outlives the run: the services
 * end with the vitest process, and what an interrupted run left on the engine the next run removes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = newRunId();
  process.env[RUN_ID_ENV] = runId;
  project.provide('dwTestRunId', runId);

  const skipDocker = process.env.CI !== 'true' && process.env.DW_SKIP_DOCKER === '1';
  const missing = missingBinaries();
  if (missing !== undefined && !skipDocker) throw new Error(`global-setup: ${missing}`);

  const docker = await dockerAvailable();
  project.provide('dwDockerAvailable', docker);
  if (docker) await removeAbandonedRuns();
  recordRun(runId);
  if (!docker) {
    const message = `the Docker engine on ${dockerSocket()} does not answer: start it (sudo systemctl start docker)`;
    // Under CI a missing engine fails the whole run at once; locally only Docker tests fail.
    if (process.env.CI === 'true') throw new Error(`global-setup: ${message}`);
    if (!skipDocker) console.warn(`global-setup: ${message}`);
  }

  let services: TestServices | undefined;
  if (missing === undefined) {
    services = await startTestServices();
    // Workers inherit the environment of this process: test-images.ts reads these at import.
    process.env[OPEN_REGISTRY_ENV] = services.openRegistry;
    process.env[AUTH_REGISTRY_ENV] = services.authRegistry;
  }

  return async () => {
    try {
      if (docker) await cleanupInstancePrefix(runId);
      forgetRun(runId);
    } catch (error) {
      console.warn(`global-setup: clean-up of ${runId} failed: ${String(error)}`);
    } finally {
      // After the clean-up, and even when it failed: a Swarm this run initialised never outlives it.
      if (docker)
        await leaveSwarmIfOurs(runId).catch((error: unknown) =>
          console.warn(`global-setup: ${String(error)}`),
        );
      await services?.stop();
    }
  };
}

/** What a run ended by Ctrl-C or SIGKILL left on the engine is removed by the next run. */
async function removeAbandonedRuns(): Promise<void> {
  for (const runId of abandonedRuns()) {
    try {
      await cleanupInstancePrefix(runId);
      // A Swarm the dead run initialised goes too, now that its services are gone.
      await leaveSwarmIfOurs(runId);
      forgetRun(runId);
    } catch (error) {
      console.warn(`global-setup: clean-up of the abandoned run ${runId} failed: ${String(error)}`);
    }
  }
}
