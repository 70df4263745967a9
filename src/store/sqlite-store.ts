import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { DeployEvent, DeployRecord, DeployStatus, LiveVersion, Phase } from '../core/deploy-types.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { migrate } from './migrations.js';
import {
  PATCH_COLUMNS,
  toDeployEvent,
  toDeployRecord,
  toLiveVersion,
  toOutboxEntry,
  toPhaseTiming,
  type Row,
} from './sqlite-rows.js';
import type {
  ClaimScope,
  DeployHead,
  DeployPatch,
  DeployQuery,
  NewDeploy,
  OutboxEntry,
  PreviewRecord,
  Store,
} from './store.js';
import { toPreviewRecord } from './preview-rows.js';

/** How long a write waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Creates the database file (mode 0600) and the folders leading to it (mode 0700) when they are
 * missing: the history names every deploy and its requesters, for the app's user only. SQLite
 * gives its -wal and -shm files the mode of the database file. Existing ones are left as they are.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

/**
 * Opens (creating it and its directory if missing) the SQLite database at `path`, or an
 * in-memory one for ':memory:', and migrates it to the current schema.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:' && !path.startsWith('file:')) createPrivately(path);
  const db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL is durable across app crashes in WAL mode; only a power loss may lose the last commits.
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db);
}

class SqliteStore implements Store {
  private readonly statements = new Map<string, StatementSync>();

  constructor(private readonly db: DatabaseSync) {}

  createDeploy(input: NewDeploy): DeployRecord {
    const { id, kind, intent, status, createdAt } = input;
    if (this.exists(id)) throw new ConflictError(`deploy ${id} already exists: use a new deploy id`, 409);
    this.run(
      `INSERT INTO deploys (id, kind, project, stage, status, intent, domain, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      kind,
      intent.project,
      intent.stage,
      status,
      JSON.stringify(intent),
      input.domain ?? null,
      createdAt,
    );
    return this.mustGetDeploy(id);
  }

  getDeploy(id: string): DeployRecord | undefined {
    const row = this.statement('SELECT * FROM deploys WHERE id = ?').get(id);
    return row && this.withPhases(row);
  }

  updateDeploy(id: string, patch: DeployPatch): DeployRecord {
    const { assignments, values } = patchAssignments(patch);
    const sql =
      assignments.length === 0
        ? 'UPDATE deploys SET id = id WHERE id = ?'
        : `UPDATE deploys SET ${assignments.join(', ')} WHERE id = ?`;
    if (this.run(sql, ...values, id) === 0) throw unknownDeploy(id);
    return this.mustGetDeploy(id);
  }

  transitionDeploy(
    id: string,
    from: DeployStatus,
    to: DeployStatus,
    patch: DeployPatch = {},
  ): DeployRecord | undefined {
    const { assignments, values } = patchAssignments(patch);
    const sql = `UPDATE deploys SET ${['status = ?', ...assignments].join(', ')} WHERE id = ? AND status = ?`;
    if (this.run(sql, to, ...values, id, from) === 1) return this.mustGetDeploy(id);
    if (!this.exists(id)) throw unknownDeploy(id);
    return undefined;
  }

  listDeploys(query: DeployQuery = {}): DeployRecord[] {
    return this.selectDeploys('*', query).map((row) => this.withPhases(row));
  }

  listDeployHeads(query: DeployQuery = {}): DeployHead[] {
    return this.selectDeploys('id, kind, status, image_ref, created_at', query).map((row) => {
      const head: DeployHead = {
        id: String(row['id']),
        kind: row['kind'] === 'teardown' ? 'teardown' : 'deploy',
        status: String(row['status']) as DeployStatus,
        createdAt: String(row['created_at']),
      };
      if (typeof row['image_ref'] === 'string') head.imageRef = row['image_ref'];
      return head;
    });
  }

  /** The rows of listDeploys and listDeployHeads: newest first. */
  private selectDeploys(columns: string, query: DeployQuery): Row[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.project !== undefined) {
      where.push('project = ?');
      params.push(query.project);
    }
    if (query.stage !== undefined) {
      where.push('stage = ?');
      params.push(query.stage);
    }
    if (query.status !== undefined) {
      where.push(`status IN (${query.status.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...query.status);
    }
    const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    // rowid breaks ties between deploys created in the same millisecond: the later insert is newer.
    const sql = `SELECT ${columns} FROM deploys ${filter} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return this.statement(sql).all(...params, query.limit ?? -1);
  }

  beginPhase(deployId: string, phase: Phase, at: string): void {
    if (!this.exists(deployId)) throw unknownDeploy(deployId);
    this.run(
      'INSERT INTO deploy_phases (deploy_id, phase, started_at) VALUES (?, ?, ?)',
      deployId,
      phase,
      at,
    );
  }

  endPhase(deployId: string, phase: Phase, ok: boolean, at: string): void {
    const changed = this.run(
      `UPDATE deploy_phases SET finished_at = ?, ok = ?
       WHERE id = (SELECT max(id) FROM deploy_phases WHERE deploy_id = ? AND phase = ?)`,
      at,
      ok ? 1 : 0,
      deployId,
      phase,
    );
    if (changed === 0) {
      throw new NotFoundError(`phase ${phase} of deploy ${deployId} was never begun: call beginPhase first`);
    }
  }

  appendEvent(event: Omit<DeployEvent, 'seq'>): DeployEvent {
    if (!this.exists(event.deployId)) throw unknownDeploy(event.deployId);
    // One statement computes and inserts the next seq, so it is atomic even across connections.
    const row = this.statement(
      `INSERT INTO deploy_events (deploy_id, seq, at, type, level, message, phase, status)
       SELECT ?1, coalesce(max(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7 FROM deploy_events WHERE deploy_id = ?1
       RETURNING *`,
    ).get(
      event.deployId,
      event.at,
      event.type,
      event.level,
      event.message,
      event.phase ?? null,
      event.status ?? null,
    );
    if (!row) throw new Error(`event of deploy ${event.deployId} was not stored`);
    return toDeployEvent(row);
  }

  listEvents(deployId: string, afterSeq = 0): DeployEvent[] {
    return this.statement('SELECT * FROM deploy_events WHERE deploy_id = ? AND seq > ? ORDER BY seq')
      .all(deployId, afterSeq)
      .map(toDeployEvent);
  }

  getLive(project: string, stage: string): LiveVersion | undefined {
    const row = this.statement('SELECT * FROM live_versions WHERE project = ? AND stage = ?').get(
      project,
      stage,
    );
    return row && toLiveVersion(row);
  }

  setLive(live: LiveVersion): void {
    this.run(
      `INSERT OR REPLACE INTO live_versions
       (project, stage, deploy_id, tag, image, digest, image_ref, container_id, container_name, since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      live.project,
      live.stage,
      live.deployId,
      live.tag,
      live.image,
      live.digest ?? null,
      live.imageRef,
      live.containerId,
      live.containerName,
      live.since,
    );
  }

  clearLive(project: string, stage: string): void {
    this.run('DELETE FROM live_versions WHERE project = ? AND stage = ?', project, stage);
  }

  listLive(): LiveVersion[] {
    return this.statement('SELECT * FROM live_versions ORDER BY project, stage').all().map(toLiveVersion);
  }

  claimOnce(scope: ClaimScope, key: string, ttlMs: number, now: Date, value = ''): boolean {
    // A claim past its expiry is taken over as if it were not there.
    const sql = `INSERT INTO claims (scope, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE claims.expires_at <= ?5`;
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    return this.run(sql, scope, key, value, expiresAt, now.toISOString()) === 1;
  }

  claimed(scope: ClaimScope, key: string, now: Date): string | undefined {
    const sql = 'SELECT value FROM claims WHERE scope = ? AND key = ? AND expires_at > ?';
    const value = this.statement(sql).get(scope, key, now.toISOString())?.['value'];
    return typeof value === 'string' ? value : undefined;
  }

  setClaimValue(scope: ClaimScope, key: string, value: string): void {
    this.run('UPDATE claims SET value = ? WHERE scope = ? AND key = ?', value, scope, key);
  }

  pruneClaims(now: Date): number {
    return this.run('DELETE FROM claims WHERE expires_at <= ?', now.toISOString());
  }

  getState(key: string): string | undefined {
    const value = this.statement('SELECT value FROM kv_state WHERE key = ?').get(key)?.['value'];
    return typeof value === 'string' ? value : undefined;
  }

  setState(key: string, value: string, options: { expiresAt?: string } = {}): void {
    this.run(
      'INSERT OR REPLACE INTO kv_state (key, value, expires_at) VALUES (?, ?, ?)',
      key,
      value,
      options.expiresAt ?? null,
    );
  }

  pruneState(now: string): number {
    return this.run('DELETE FROM kv_state WHERE expires_at IS NOT NULL AND expires_at < ?', now);
  }

  putPreview(p: PreviewRecord): void {
    this.run(
      `INSERT INTO previews (project, pr, stage, repository, forge, domain, created_at, last_deploy_at, state, removed_at, removed_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project, pr) DO UPDATE SET stage = excluded.stage, repository = excluded.repository,
         forge = excluded.forge, domain = excluded.domain, created_at = excluded.created_at,
         last_deploy_at = excluded.last_deploy_at, state = excluded.state,
         removed_at = excluded.removed_at, removed_reason = excluded.removed_reason`,
      p.project,
      p.pr,
      p.stage,
      p.repository ?? null,
      p.forge ?? null,
      p.domain,
      p.createdAt,
      p.lastDeployAt,
      p.state,
      p.removedAt ?? null,
      p.removedReason ?? null,
    );
  }

  getPreview(project: string, pr: number): PreviewRecord | undefined {
    const row = this.statement('SELECT * FROM previews WHERE project = ? AND pr = ?').get(project, pr);
    return row ? toPreviewRecord(row) : undefined;
  }

  listPreviews(query: { project?: string; states?: PreviewRecord['state'][] } = {}): PreviewRecord[] {
    const states = query.states ?? ['live', 'removing'];
    const rows = this.statement(
      `SELECT * FROM previews WHERE (?1 IS NULL OR project = ?1)
         AND state IN (SELECT value FROM json_each(?2)) ORDER BY last_deploy_at, project, pr`,
    ).all(query.project ?? null, JSON.stringify(states));
    return rows.map(toPreviewRecord);
  }

  putReport(key: string, job: string, at: string): number {
    // The row keeps its id (its place in the order) when a newer report of the key replaces it.
    const row = this.statement(
      `INSERT INTO report_outbox (key, version, job, queued_at, attempts, next_try_at)
       VALUES (?1, 1, ?2, ?3, 0, ?3)
       ON CONFLICT (key) DO UPDATE SET version = version + 1, job = excluded.job,
         queued_at = excluded.queued_at, attempts = 0, next_try_at = excluded.next_try_at, last_error = NULL
       RETURNING version`,
    ).get(key, job, at);
    return Number(row?.['version']);
  }

  getReport(key: string): OutboxEntry | undefined {
    const row = this.statement('SELECT * FROM report_outbox WHERE key = ?').get(key);
    return row && toOutboxEntry(row);
  }

  listReports(): OutboxEntry[] {
    return this.statement('SELECT * FROM report_outbox ORDER BY id').all().map(toOutboxEntry);
  }

  reportFailed(key: string, version: number, error: string, nextTryAt: string): boolean {
    const sql = `UPDATE report_outbox SET attempts = attempts + 1, last_error = ?, next_try_at = ?
                 WHERE key = ? AND version = ?`;
    return this.run(sql, error, nextTryAt, key, version) === 1;
  }

  removeReport(key: string, version: number): boolean {
    return this.run('DELETE FROM report_outbox WHERE key = ? AND version = ?', key, version) === 1;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
    this.statements.clear();
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a write and returns how many rows it changed. */
  private run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.statement(sql).run(...params).changes);
  }

  private withPhases(row: Row): DeployRecord {
    const phases = this.statement('SELECT * FROM deploy_phases WHERE deploy_id = ? ORDER BY id')
      .all(row['id'] as string)
      .map(toPhaseTiming);
    return toDeployRecord(row, phases);
  }

  private exists(id: string): boolean {
    return this.statement('SELECT 1 FROM deploys WHERE id = ?').get(id) !== undefined;
  }

  private mustGetDeploy(id: string): DeployRecord {
    const record = this.getDeploy(id);
    if (!record) throw unknownDeploy(id);
    return record;
  }
}

function unknownDeploy(id: string): NotFoundError {
  return new NotFoundError(`no deploy with id ${id}: check the id (list deploys to see known ones)`);
}

/** `column = ?` for each known key of a patch, and the encoded values in the same order. */
function patchAssignments(patch: DeployPatch): { assignments: string[]; values: SQLInputValue[] } {
  const entries = Object.entries(patch) as [keyof DeployPatch, unknown][];
  const known = entries.filter(([key]) => key in PATCH_COLUMNS);
  return {
    assignments: known.map(([key]) => `${PATCH_COLUMNS[key].column} = ?`),
    values: known.map(([key, value]) => encode(value, PATCH_COLUMNS[key].json === true)),
  };
}

function encode(value: unknown, json: boolean): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (json) return JSON.stringify(value);
  return value as SQLInputValue;
}
