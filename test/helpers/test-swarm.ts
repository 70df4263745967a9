import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDocker } from './docker-env.js';

const run = promisify(execFile);

/** Marker file: this test run initialised the engine's Swarm, so its global teardown leaves it. */
export function swarmMarker(runId: string): string {
  return join(tmpdir(), `dw-test-swarm-${runId}`);
}

async function swarmState(): Promise<{ state: string; manager: boolean }> {
  const info = (await testDocker().info()) as {
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
  };
  return { state: info.Swarm?.LocalNodeState ?? 'inactive', manager: info.Swarm?.ControlAvailable === true };
}

/**
 * The address the Swarm is advertised on: the default bridge's gateway, which this host owns and
 * a worker engine in a container on that bridge reaches (startSwarmWorker); the loopback when
 * the engine has no default bridge.
 */
async function advertiseAddress(): Promise<string> {
  const bridge = (await testDocker()
    .getNetwork('bridge')
    .inspect()
    .catch(() => undefined)) as { IPAM?: { Config?: { Gateway?: string }[] } } | undefined;
  return bridge?.IPAM?.Config?.find((config) => config.Gateway?.includes('.'))?.Gateway ?? '127.0.0.1';
}

/**
 * Makes the engine a single-node Swarm manager for this run. A Swarm that is already active is
 * used as it is and left alone; one this run initialises is left again by the global teardown
 * (leaveSwarmIfOurs), after every test file is done with it.
 */
export async function ensureTestSwarm(runId: string): Promise<void> {
  const { state, manager } = await swarmState();
  if (state === 'active') {
    if (!manager) throw new Error('the test engine is a Swarm worker: Swarm tests need a manager');
    return;
  }
  try {
    await run('docker', ['swarm', 'init', '--advertise-addr', await advertiseAddress()]);
    writeFileSync(swarmMarker(runId), new Date().toISOString());
  } catch (error) {
    // Another test file of this run got there first.
    if ((await swarmState()).state !== 'active') throw error;
  }
}

/** Leaves the Swarm when this run initialised it (global teardown; every object of the run is gone by then). */
export async function leaveSwarmIfOurs(runId: string): Promise<void> {
  const marker = swarmMarker(runId);
  if (!existsSync(marker)) return;
  rmSync(marker, { force: true });
  await run('docker', ['swarm', 'leave', '--force']);
}
