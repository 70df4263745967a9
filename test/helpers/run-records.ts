import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One file per running test run: its run id as name, the pid of its vitest process inside. */
const RECORDS_DIR = join(tmpdir(), 'dw-test-runs');

/** Notes that `runId` belongs to this process, until forgetRun(runId). */
export function recordRun(runId: string): void {
  mkdirSync(RECORDS_DIR, { recursive: true });
  writeFileSync(join(RECORDS_DIR, runId), String(process.pid));
}

/** Removes the note of a run that ended its own clean-up. */
export function forgetRun(runId: string): void {
  rmSync(join(RECORDS_DIR, runId), { force: true });
}

/**
 * Run ids of earlier runs whose process is gone without its clean-up (Ctrl-C, SIGKILL): their
 * Docker objects are safe to remove, since no test of theirs can still use them.
 */
export function abandonedRuns(): string[] {
  let names: string[];
  try {
    names = readdirSync(RECORDS_DIR);
  } catch {
    return [];
  }
  return names.filter((runId) => {
    const pid = Number(readFileSync(join(RECORDS_DIR, runId), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
