import { execFile, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PID_FILE = '/var/run/docker.pid';

async function dockerAnswers(): Promise<boolean> {
  return run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 }).then(
    () => true,
    () => false,
  );
}

/**
 * Restarts the Docker engine the way .ci/services.sh starts it: SIGTERM to the pid in
 * /var/run/docker.pid (that one process, not a name match), wait until it is gone, start
 * `dockerd` detached with its log in /tmp/dockerd.log, wait until `docker info` answers.
 * Resolves how long the engine was unreachable.
 */
export async function restartDockerd(timeoutMs = 90_000): Promise<number> {
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1)
    throw new Error(`${PID_FILE} holds ${JSON.stringify(pid)}, not a pid`);
  const downAt = Date.now();
  process.kill(pid, 'SIGTERM');
  const deadline = downAt + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`dockerd ${pid} did not stop within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const log = openSync('/tmp/dockerd.log', 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  while (!(await dockerAnswers())) {
    if (Date.now() > deadline)
      throw new Error(`dockerd did not answer within ${timeoutMs} ms; see /tmp/dockerd.log`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return Date.now() - downAt;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
