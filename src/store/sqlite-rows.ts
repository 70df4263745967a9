import type { SQLOutputValue } from 'node:sqlite';
import type {
  DeployEvent,
  DeployFailure,
  DeployIntent,
  DeployRecord,
  DeployStatus,
  LiveVersion,
  Phase,
  PhaseTiming,
  RouteSnapshot,
  TeardownIntent,
} from '../core/deploy-types.js';
import type { DeployPatch, OutboxEntry } from './store.js';

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLOutputValue>;

/** DeployPatch keys and the deploys column each one is stored in; JSON columns are encoded. */
export const PATCH_COLUMNS: Record<keyof DeployPatch, { column: string; json?: true }> = {
  imageRef: { column: 'image_ref' },
  digest: { column: 'digest' },
  containerId: { column: 'container_id' },
  containerName: { column: 'container_name' },
  previousContainerId: { column: 'previous_container_id' },
  routeBefore: { column: 'route_before', json: true },
  url: { column: 'url' },
  strategy: { column: 'strategy' },
  downtimeMs: { column: 'downtime_ms' },
  error: { column: 'error', json: true },
  startedAt: { column: 'started_at' },
  finishedAt: { column: 'finished_at' },
  approvedBy: { column: 'approved_by' },
  attempt: { column: 'attempt' },
};

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string')
    throw new Error(`store row has ${typeof value} in column ${column}, expected text`);
  return value;
}

function optionalText(row: Row, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : text(row, column);
}

/** Copies the non-null optional columns onto `target` (exactOptionalPropertyTypes: absent, not undefined). */
function assignOptional<T extends object>(target: T, row: Row, columns: Partial<Record<keyof T, string>>): T {
  for (const [key, column] of Object.entries(columns) as [keyof T, string][]) {
    const value = optionalText(row, column);
    if (value !== undefined) (target as Record<keyof T, unknown>)[key] = value;
  }
  return target;
}

function toRouteSnapshot(id: string, json: string): RouteSnapshot {
  const value = JSON.parse(json) as unknown;
  if (typeof value !== 'object' || value === null || typeof (value as RouteSnapshot).domain !== 'string') {
    throw new Error(`deploy ${id} has a route snapshot without a domain: ${json.slice(0, 200)}`);
  }
  return value as RouteSnapshot;
}

export function toDeployRecord(row: Row, phases: PhaseTiming[]): DeployRecord {
  const base = {
    id: text(row, 'id'),
    project: text(row, 'project'),
    stage: text(row, 'stage'),
    status: text(row, 'status') as DeployStatus,
    attempt: Number(row['attempt'] ?? 1),
    phases,
    createdAt: text(row, 'created_at'),
  };
  const intent = JSON.parse(text(row, 'intent')) as unknown;
  const record: DeployRecord =
    text(row, 'kind') === 'teardown'
      ? { ...base, kind: 'teardown', intent: intent as TeardownIntent }
      : { ...base, kind: 'deploy', intent: intent as DeployIntent };
  assignOptional(record, row, {
    domain: 'domain',
    imageRef: 'image_ref',
    digest: 'digest',
    containerId: 'container_id',
    containerName: 'container_name',
    previousContainerId: 'previous_container_id',
    url: 'url',
    startedAt: 'started_at',
    finishedAt: 'finished_at',
    approvedBy: 'approved_by',
  });
  const strategy = optionalText(row, 'strategy');
  if (strategy !== undefined) record.strategy = strategy as NonNullable<DeployRecord['strategy']>;
  const downtime = row['downtime_ms'];
  if (typeof downtime === 'number' || typeof downtime === 'bigint') record.downtimeMs = Number(downtime);
  const routeBefore = optionalText(row, 'route_before');
  if (routeBefore !== undefined) record.routeBefore = toRouteSnapshot(base.id, routeBefore);
  const error = optionalText(row, 'error');
  if (error !== undefined) record.error = JSON.parse(error) as DeployFailure;
  return record;
}

export function toPhaseTiming(row: Row): PhaseTiming {
  const timing: PhaseTiming = { phase: text(row, 'phase') as Phase, startedAt: text(row, 'started_at') };
  assignOptional(timing, row, { finishedAt: 'finished_at' });
  if (row['ok'] !== null && row['ok'] !== undefined) timing.ok = row['ok'] === 1;
  return timing;
}

export function toDeployEvent(row: Row): DeployEvent {
  const event: DeployEvent = {
    deployId: text(row, 'deploy_id'),
    seq: Number(row['seq']),
    at: text(row, 'at'),
    type: text(row, 'type') as DeployEvent['type'],
    level: text(row, 'level') as DeployEvent['level'],
    message: text(row, 'message'),
  };
  const phase = optionalText(row, 'phase');
  if (phase !== undefined) event.phase = phase as Phase;
  const status = optionalText(row, 'status');
  if (status !== undefined) event.status = status as DeployStatus;
  return event;
}

export function toLiveVersion(row: Row): LiveVersion {
  const live: LiveVersion = {
    project: text(row, 'project'),
    stage: text(row, 'stage'),
    deployId: text(row, 'deploy_id'),
    tag: text(row, 'tag'),
    image: text(row, 'image'),
    imageRef: text(row, 'image_ref'),
    containerId: text(row, 'container_id'),
    containerName: text(row, 'container_name'),
    since: text(row, 'since'),
  };
  return assignOptional(live, row, { digest: 'digest' });
}

/** A report_outbox row as an OutboxEntry. */
export function toOutboxEntry(row: Row): OutboxEntry {
  const lastError = optionalText(row, 'last_error');
  return {
    key: text(row, 'key'),
    version: Number(row['version']),
    job: text(row, 'job'),
    queuedAt: text(row, 'queued_at'),
    attempts: Number(row['attempts']),
    nextTryAt: text(row, 'next_try_at'),
    ...(lastError === undefined ? {} : { lastError }),
  };
}
