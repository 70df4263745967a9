import type { CommandIo } from '../cli.js';
import type { DeployRunResult } from '../../src/protocol/run-deploy.js';

/** Prints a deploy's outcome as `key=value` lines (as the action sets its outputs); the exit code. */
export function reportResult(result: DeployRunResult, io: CommandIo): number {
  io.stdout(
    `deploy-id=${result.deployId}\nstatus=${result.status}\nurl=${result.url ?? ''}\ndigest=${result.digest ?? ''}\n`,
  );
  if (result.ok) return 0;
  io.stderr(`docker-watcher deploy: ${result.failure ?? result.status}\n`);
  return 1;
}
