import { errorMessage, NotFoundError } from '../../src/core/errors.js';
import type { ContainerStats, LogLine } from '../../src/docker/engine.js';
import type { Orphan } from '../../src/ops/orphans.js';
import type { AppDeps } from '../http/app-env.js';

/** How many log lines the stage page shows before following. */
export const LOG_TAIL = 200;

/** What the stage page knows of the live container's log. */
export type StageLog =
  | { kind: 'lines'; container: string; lines: LogLine[]; cutShort?: string }
  | { kind: 'unavailable'; message: string };

/** What the stage page knows of the live container's resource use. */
export type StageUsage =
  | { kind: 'measured'; container: string; stats: Exclude<ContainerStats, { state: 'gone' }> }
  | { kind: 'gone'; container: string }
  | { kind: 'unavailable'; message: string };

/** The overview's orphan list, or why it could not be read. */
export type OrphanList = { kind: 'listed'; orphans: Orphan[] } | { kind: 'unavailable'; message: string };

// A page must answer even when the engine is slow: a stats sample alone takes about 1 s.
const LOG_TIMEOUT_MS = 5000;
const STATS_TIMEOUT_MS = 4000;
const ORPHANS_TIMEOUT_MS = 3000;
const NO_OPS = 'not available: this app was started without access to Docker';

/** Why something could not be read, in words for the page: a NotFoundError says it best. */
function reason(error: unknown, what: string): string {
  if (error instanceof NotFoundError) return error.message;
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `${what} took too long to read: reload the page to try again`;
  return `${what} could not be read: ${errorMessage(error)}`;
}

/** The last LOG_TAIL lines of the stage's live container. */
export async function loadStageLog(deps: AppDeps, project: string, stage: string): Promise<StageLog> {
  if (!deps.ops) return { kind: 'unavailable', message: `The log is ${NO_OPS}.` };
  const signal = AbortSignal.timeout(LOG_TIMEOUT_MS);
  let container;
  try {
    container = await deps.ops.liveContainer(project, stage, signal);
  } catch (error) {
    return { kind: 'unavailable', message: reason(error, 'the live container') };
  }
  const lines: LogLine[] = [];
  try {
    await deps.ops.streamLogs(container.id, { tail: LOG_TAIL, signal }, (line) => lines.push(line));
    return { kind: 'lines', container: container.name, lines };
  } catch (error) {
    return { kind: 'lines', container: container.name, lines, cutShort: reason(error, 'the log') };
  }
}

/** One resource sample of the stage's live container. */
export async function loadStageUsage(deps: AppDeps, project: string, stage: string): Promise<StageUsage> {
  if (!deps.ops) return { kind: 'unavailable', message: `Resource use is ${NO_OPS}.` };
  try {
    const resources = await deps.ops.stats(project, stage, AbortSignal.timeout(STATS_TIMEOUT_MS));
    const { stats, containerName } = resources;
    return stats.state === 'gone'
      ? { kind: 'gone', container: containerName }
      : { kind: 'measured', container: containerName, stats };
  } catch (error) {
    return { kind: 'unavailable', message: reason(error, 'resource use') };
  }
}

/** Stages no longer in the config that still have containers; undefined without stage ops. */
export async function loadOrphans(deps: AppDeps): Promise<OrphanList | undefined> {
  if (!deps.ops) return undefined;
  try {
    return { kind: 'listed', orphans: await deps.ops.orphans(AbortSignal.timeout(ORPHANS_TIMEOUT_MS)) };
  } catch (error) {
    deps.logger.warn('the dashboard could not look for orphaned stages', { error: errorMessage(error) });
    return { kind: 'unavailable', message: reason(error, 'orphaned stages') };
  }
}
