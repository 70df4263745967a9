import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployIntent, DeployStatus } from '../../../src/core/deploy-types.js';
import { NotFoundError } from '../../../src/core/errors.js';
import { MIGRATIONS, migrate } from '../../../src/store/migrations.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';

function intent(project: string, stage: string, tag = 'v1'): DeployIntent {
  return { project, stage, image: `registry.test/${project}`, tag, trigger: 'ci' };
}

let dir: string;
const open: Store[] = [];

function openAt(path: string): Store {
  const store = openSqliteStore(path);
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-store-'));
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openSqliteStore', () => {
  it('creates the database file mode 0600 and its folders mode 0700, WAL files included', () => {
    const path = join(dir, 'data', 'nested', 'docker-watcher.db');
    const store = openAt(path);
    store.setState('k', 'v');
    const mode = (file: string) => statSync(file).mode & 0o777;
    expect(mode(join(dir, 'data'))).toBe(0o700);
    expect(mode(join(dir, 'data', 'nested'))).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
  });

  it('creates, updates and reads back a deploy with its phases in order', () => {
    const store = openAt(':memory:');
    const created = store.createDeploy({
      kind: 'deploy',
      id: 'd1',
      intent: { ...intent('web', 'dev'), digest: 'sha256:abc' },
      status: 'queued',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    expect(created).toMatchObject({ id: 'd1', project: 'web', stage: 'dev', status: 'queued', phases: [] });
    expect(created).not.toHaveProperty('imageRef');

    store.beginPhase('d1', 'pull', '2025-01-01T00:00:01.000Z');
    store.endPhase('d1', 'pull', true, '2025-01-01T00:00:02.000Z');
    store.beginPhase('d1', 'create', '2025-01-01T00:00:03.000Z');
    const snapshot = { domain: 'dev.web.test', state: { forwardHost: 'dw-web-dev-v0', forwardPort: 8080 } };
    store.updateDeploy('d1', { imageRef: 'registry.test/web@sha256:abc', routeBefore: snapshot });
    const updated = store.transitionDeploy('d1', 'queued', 'failed', {
      error: { phase: 'create', message: 'boom', containerLogs: ['line'] },
    })!;

    expect(updated).toMatchObject({ kind: 'deploy', status: 'failed', attempt: 1 });
    expect(updated.intent.digest).toBe('sha256:abc');
    expect(updated.routeBefore).toEqual(snapshot);
    expect(updated.error).toEqual({ phase: 'create', message: 'boom', containerLogs: ['line'] });
    expect(store.getDeploy('d1')?.phases).toEqual([
      {
        phase: 'pull',
        startedAt: '2025-01-01T00:00:01.000Z',
        finishedAt: '2025-01-01T00:00:02.000Z',
        ok: true,
      },
      { phase: 'create', startedAt: '2025-01-01T00:00:03.000Z' },
    ]);
  });

  it('throws NotFoundError for unknown deploys and phases never begun', () => {
    const store = openAt(':memory:');
    expect(() => store.updateDeploy('nope', { url: 'x' })).toThrow(NotFoundError);
    expect(() => store.transitionDeploy('nope', 'queued', 'failed')).toThrow(NotFoundError);
    expect(() => store.updateDeploy('nope', {})).toThrow(/nope/);
    expect(() => store.beginPhase('nope', 'pull', 'x')).toThrow(NotFoundError);
    expect(() =>
      store.appendEvent({ deployId: 'nope', at: 'x', type: 'log', level: 'info', message: 'm' }),
    ).toThrow(NotFoundError);
    store.createDeploy({
      kind: 'deploy',
      id: 'd1',
      intent: intent('web', 'dev'),
      status: 'queued',
      createdAt: 'x',
    });
    expect(() => store.endPhase('d1', 'health', false, 'x')).toThrow(/health.*beginPhase/);
    expect(store.getDeploy('nope')).toBeUndefined();
  });

  it('numbers events 1..n per deploy and lists those after a seq', () => {
    const store = openAt(':memory:');
    for (const id of ['a', 'b'])
      store.createDeploy({
        kind: 'deploy',
        id,
        intent: intent('web', 'dev'),
        status: 'running',
        createdAt: id,
      });
    const seqs = [1, 2, 3].map(
      (n) =>
        store.appendEvent({ deployId: 'a', at: `t${n}`, type: 'log', level: 'info', message: `m${n}` }).seq,
    );
    const other = store.appendEvent({
      deployId: 'b',
      at: 't',
      type: 'status',
      level: 'warn',
      message: 's',
      status: 'failed',
    });
    const phase = store.appendEvent({
      deployId: 'a',
      at: 't4',
      type: 'phase',
      level: 'info',
      message: 'p',
      phase: 'pull',
    });

    expect(seqs).toEqual([1, 2, 3]);
    expect(other).toEqual({
      deployId: 'b',
      seq: 1,
      at: 't',
      type: 'status',
      level: 'warn',
      message: 's',
      status: 'failed',
    });
    expect(phase.seq).toBe(4);
    expect(store.listEvents('a').map((e) => e.message)).toEqual(['m1', 'm2', 'm3', 'p']);
    expect(store.listEvents('a', 2).map((e) => e.seq)).toEqual([3, 4]);
  });

  it('lists deploys newest first, filtered by project, stage, status and limit', () => {
    const store = openAt(':memory:');
    const rows: [string, string, string, DeployStatus, string][] = [
      ['1', 'web', 'dev', 'succeeded', '2025-01-01T00:00:01.000Z'],
      ['2', 'web', 'prod', 'failed', '2025-01-01T00:00:02.000Z'],
      ['3', 'api', 'dev', 'succeeded', '2025-01-01T00:00:03.000Z'],
      ['4', 'web', 'dev', 'running', '2025-01-01T00:00:04.000Z'],
      ['5', 'web', 'dev', 'queued', '2025-01-01T00:00:04.000Z'],
    ];
    for (const [id, project, stage, status, createdAt] of rows) {
      store.createDeploy({ kind: 'deploy', id, intent: intent(project, stage), status, createdAt });
    }
    const ids = (query?: Parameters<Store['listDeploys']>[0]) => store.listDeploys(query).map((d) => d.id);

    expect(ids()).toEqual(['5', '4', '3', '2', '1']);
    expect(ids({ project: 'web', stage: 'dev' })).toEqual(['5', '4', '1']);
    expect(ids({ status: ['succeeded', 'failed'] })).toEqual(['3', '2', '1']);
    expect(ids({ status: [] })).toEqual([]);
    expect(ids({ project: 'web', limit: 2 })).toEqual(['5', '4']);

    // Heads: the same deploys in the same order, with only what tells them apart.
    store.updateDeploy('1', { imageRef: 'registry.test/web:v1' });
    for (const query of [
      undefined,
      { project: 'web', stage: 'dev' },
      { status: ['succeeded'] as DeployStatus[] },
    ]) {
      expect(store.listDeployHeads(query).map((head) => head.id)).toEqual(ids(query));
    }
    expect(store.listDeployHeads({ project: 'web', stage: 'dev', limit: 3 }).at(-1)).toEqual({
      id: '1',
      kind: 'deploy',
      status: 'succeeded',
      imageRef: 'registry.test/web:v1',
      createdAt: '2025-01-01T00:00:01.000Z',
    });
  });

  it('keeps live versions, state and deliveries', () => {
    const store = openAt(':memory:');
    const live = {
      project: 'web',
      stage: 'dev',
      deployId: 'd1',
      tag: 'v1',
      image: 'registry.test/web',
      imageRef: 'registry.test/web:v1',
      containerId: 'c1',
      containerName: 'dw-web-dev-v1',
      since: 't1',
    };
    store.setLive(live);
    store.setLive({ ...live, stage: 'prod', digest: 'sha256:abc' });
    store.setLive({ ...live, tag: 'v2' });
    expect(store.getLive('web', 'dev')).toEqual({ ...live, tag: 'v2' });
    expect(store.listLive().map((l) => l.stage)).toEqual(['dev', 'prod']);
    store.clearLive('web', 'dev');
    expect(store.getLive('web', 'dev')).toBeUndefined();

    expect(store.getState('cursor')).toBeUndefined();
    store.setState('cursor', 'a');
    store.setState('cursor', 'b');
    expect(store.getState('cursor')).toBe('b');

    const at = (time: string) => new Date(`2025-01-01T${time}.000Z`);
    expect(store.claimOnce('delivery', 'x', 60_000, at('00:00:00'), 'd1')).toBe(true);
    expect(store.claimOnce('delivery', 'x', 60_000, at('00:00:01'))).toBe(false);
    // Scopes are apart: the same key in another scope is another claim.
    expect(store.claimOnce('comment', 'x', 60_000, at('00:00:01'))).toBe(true);
    expect(store.claimed('delivery', 'x', at('00:00:30'))).toBe('d1');
    store.setClaimValue('delivery', 'x', 'd2');
    expect(store.claimed('delivery', 'x', at('00:00:30'))).toBe('d2');
    // Past its expiry a claim is as good as gone, before and after the prune.
    expect(store.claimed('delivery', 'x', at('00:01:00'))).toBeUndefined();
    expect(store.claimOnce('delivery', 'x', 60_000, at('00:01:00'))).toBe(true);
    expect(store.pruneClaims(at('00:03:00'))).toBe(2);
    expect(store.claimOnce('delivery', 'x', 60_000, at('00:03:00'))).toBe(true);
  });

  it('prunes state records past their expiry and keeps the rest', () => {
    const store = openAt(join(dir, 'expiry.sqlite'));
    store.setState('cursor', 'kept');
    store.setState('delivery-deploy:a', 'd1', { expiresAt: '2025-01-01T00:10:00.000Z' });
    store.setState('delivery-deploy:b', 'd2', { expiresAt: '2025-01-01T00:20:00.000Z' });
    expect(store.pruneState('2025-01-01T00:15:00.000Z')).toBe(1);
    expect(store.getState('delivery-deploy:a')).toBeUndefined();
    expect(store.getState('delivery-deploy:b')).toBe('d2');
    // Writing a key again without an expiry makes it permanent.
    store.setState('delivery-deploy:b', 'd2');
    expect(store.pruneState('2030-01-01T00:00:00.000Z')).toBe(0);
    expect(store.getState('cursor')).toBe('kept');
    expect(store.getState('delivery-deploy:b')).toBe('d2');
  });

  it('keeps data across a reopen of a file in a directory it creates', () => {
    const path = join(dir, 'nested', 'deeper', 'dw.sqlite');
    const first = openAt(path);
    first.createDeploy({
      kind: 'deploy',
      id: 'd1',
      intent: intent('web', 'dev'),
      status: 'queued',
      createdAt: 't',
    });
    first.appendEvent({ deployId: 'd1', at: 't', type: 'log', level: 'info', message: 'one' });
    expect(first.claimOnce('delivery', 'delivery-1', 60_000, new Date(0))).toBe(true);
    first.close();

    const second = openAt(path);
    expect(second.getDeploy('d1')?.status).toBe('queued');
    expect(second.claimOnce('delivery', 'delivery-1', 60_000, new Date(0))).toBe(false);
    expect(
      second.appendEvent({ deployId: 'd1', at: 't', type: 'log', level: 'info', message: 'two' }).seq,
    ).toBe(2);
    const db = new DatabaseSync(path);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
  });
});

describe('transitionDeploy', () => {
  it('moves a status only from the one it names, in one statement', () => {
    const store = openAt(':memory:');
    store.createDeploy({
      kind: 'deploy',
      id: 'd1',
      intent: intent('web', 'dev'),
      status: 'queued',
      createdAt: 't',
    });
    expect(store.transitionDeploy('d1', 'running', 'failed')).toBeUndefined();
    expect(store.getDeploy('d1')?.status).toBe('queued');
    expect(store.transitionDeploy('d1', 'queued', 'running', { startedAt: 's' })).toMatchObject({
      status: 'running',
      startedAt: 's',
    });
    // A second writer that read `queued` before loses: nothing changes.
    expect(store.transitionDeploy('d1', 'queued', 'superseded')).toBeUndefined();
    expect(store.getDeploy('d1')?.status).toBe('running');
  });

  it('keeps the kind, domain and intent of a teardown', () => {
    const store = openAt(':memory:');
    const record = store.createDeploy({
      kind: 'teardown',
      id: 't1',
      intent: { project: 'web', stage: 'pr-7', trigger: 'teardown', requestedBy: 'ops' },
      status: 'queued',
      createdAt: 't',
      domain: 'pr-7.web.test',
    });
    expect(record).toMatchObject({ kind: 'teardown', domain: 'pr-7.web.test', attempt: 1 });
    expect(record.intent).toEqual({ project: 'web', stage: 'pr-7', trigger: 'teardown', requestedBy: 'ops' });
  });
});

describe('migrate', () => {
  it('version 7 moves deliveries, comment and logout records into claims, with their expiry', () => {
    const path = join(dir, 'v5.sqlite');
    const v5 = new DatabaseSync(path);
    expect(migrate(v5, path, MIGRATIONS.slice(0, 6))).toBe(6);
    v5.exec(`
      INSERT INTO deliveries (id, seen_at) VALUES ('del-1', '2025-01-01T00:00:00.000Z'), ('github-webhook:g1', '2025-01-01T00:05:00.000Z');
      INSERT INTO kv_state (key, value, expires_at) VALUES
        ('delivery-deploy:del-1', 'd7', '2025-01-01T00:10:00.000Z'),
        ('webhook-comment:gh:acme/web:42', 't', '2025-02-01T00:00:00.000Z'),
        ('dashboard-logout:s1', '2025-01-02T00:00:00.000Z', '2025-01-02T00:00:00.000Z'),
        ('poller:cursor:web', '{}', NULL);
    `);
    v5.close();
    const store = openAt(path);
    const at = (iso: string) => new Date(iso);
    expect(store.claimed('delivery', 'del-1', at('2025-01-01T00:09:59.000Z'))).toBe('d7');
    expect(store.claimed('delivery', 'del-1', at('2025-01-01T00:10:00.000Z'))).toBeUndefined();
    expect(store.claimOnce('delivery', 'github-webhook:g1', 1, at('2025-01-01T00:14:59.000Z'))).toBe(false);
    expect(store.claimOnce('comment', 'gh:acme/web:42', 1, at('2025-01-31T00:00:00.000Z'))).toBe(false);
    expect(store.claimed('logged-out-session', 's1', at('2025-01-01T12:00:00.000Z'))).toBe('');
    expect(store.getState('poller:cursor:web')).toBe('{}');
    expect(store.getState('webhook-comment:gh:acme/web:42')).toBeUndefined();
  });

  it('version 5 converts the deploys of an older database, losing nothing', () => {
    const path = join(dir, 'v4.sqlite');
    const v4 = new DatabaseSync(path);
    expect(migrate(v4, path, MIGRATIONS.slice(0, 4))).toBe(4);
    const insert = v4.prepare(
      `INSERT INTO deploys (id, project, stage, status, intent, proxy_before, created_at, image_ref)
       VALUES (?, 'web', ?, 'succeeded', ?, ?, ?, ?)`,
    );
    const snapshot = { domain: 'dev.web.test', state: { id: 7, forward_host: 'dw-web-dev-v0' } };
    insert.run(
      'd1',
      'dev',
      JSON.stringify(intent('web', 'dev')),
      JSON.stringify(snapshot),
      't1',
      'registry.test/web:v1',
    );
    insert.run('d2', 'dev', JSON.stringify(intent('web', 'dev', 'v2')), null, 't2', null);
    // A teardown of a stage with nothing live, as it was stored: image '' and tag 'none'.
    const bare = {
      project: 'web',
      stage: 'old',
      image: '',
      tag: 'none',
      trigger: 'teardown',
      requestedBy: 'ops',
    };
    insert.run('t1', 'old', JSON.stringify(bare), null, 't3', null);
    // A teardown of a stage with v5 live keeps what it removed.
    const full = { project: 'web', stage: 'dev', image: 'registry.test/web', tag: 'v5', trigger: 'teardown' };
    insert.run('t2', 'dev', JSON.stringify(full), null, 't4', null);
    v4.exec(
      `INSERT INTO deploy_events (deploy_id, seq, at, type, level, message) VALUES ('d1', 1, 't', 'log', 'info', 'm')`,
    );
    v4.close();

    const store = openAt(path);
    expect(store.getDeploy('d1')).toMatchObject({
      kind: 'deploy',
      domain: 'dev.web.test',
      routeBefore: snapshot,
      attempt: 1,
      imageRef: 'registry.test/web:v1',
      intent: intent('web', 'dev'),
    });
    expect(store.getDeploy('d2')).toMatchObject({ kind: 'deploy', intent: intent('web', 'dev', 'v2') });
    expect(store.getDeploy('d2')).not.toHaveProperty('domain');
    expect(store.getDeploy('t1')).toMatchObject({
      kind: 'teardown',
      intent: { project: 'web', stage: 'old', trigger: 'teardown', requestedBy: 'ops' },
    });
    expect(store.getDeploy('t1')?.intent).not.toHaveProperty('tag');
    expect(store.getDeploy('t2')).toMatchObject({ kind: 'teardown', intent: full });
    expect(store.listEvents('d1')).toHaveLength(1);
    expect(store.listDeploys()).toHaveLength(4);
  });

  it('is idempotent and upgrades an old database step by step', () => {
    const path = join(dir, 'old.sqlite');
    const old = new DatabaseSync(path);
    expect(migrate(old, path)).toBe(MIGRATIONS.length);
    expect(migrate(old, path)).toBe(MIGRATIONS.length);
    old.exec("INSERT INTO kv_state (key, value) VALUES ('k', 'v')");

    const next = MIGRATIONS.length + 1;
    const newer = [
      ...MIGRATIONS,
      { version: next, description: 'test', sql: 'ALTER TABLE kv_state ADD note TEXT' },
    ];
    expect(migrate(old, path, newer)).toBe(next);
    expect(old.prepare('SELECT key, value, note FROM kv_state').all()).toEqual([
      { key: 'k', value: 'v', note: null },
    ]);
    old.close();
  });

  it('upgrades a version 1 database: its state stays and never expires', () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new DatabaseSync(path);
    expect(migrate(v1, path, MIGRATIONS.slice(0, 1))).toBe(1);
    v1.exec("INSERT INTO kv_state (key, value) VALUES ('poller:cursor:web', '{}')");
    v1.close();
    const store = openAt(path);
    expect(store.pruneState('2999-01-01T00:00:00.000Z')).toBe(0);
    expect(store.getState('poller:cursor:web')).toBe('{}');
  });

  it('refuses a database written by a newer version, naming the file and versions', () => {
    const path = join(dir, 'future.sqlite');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => openSqliteStore(path)).toThrow(new RegExp(`${path}.*version 99.*upgrade docker-watcher`));
  });

  it('rolls back a failing step and leaves the version where it was', () => {
    const db = new DatabaseSync(':memory:');
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, description: 'bad', sql: 'CREATE TABLE kv_state (x)' },
    ];
    expect(() => migrate(db, ':memory:', broken)).toThrow(/kv_state/);
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: MIGRATIONS.length });
    db.close();
  });
});
