import type { DatabaseSync } from 'node:sqlite';

/** One schema step. `version` is what PRAGMA user_version holds once it has run. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema history, oldest first. Never edit a released entry: append a new one, so an old
 * database upgrades step by step when it is opened.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'deploys, phases, events, live versions, deliveries, key/value state',
    sql: `
      CREATE TABLE deploys (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        stage TEXT NOT NULL,
        status TEXT NOT NULL,
        intent TEXT NOT NULL,
        image_ref TEXT,
        digest TEXT,
        container_id TEXT,
        container_name TEXT,
        previous_container_id TEXT,
        proxy_before TEXT,
        url TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        approved_by TEXT
      ) STRICT;
      CREATE INDEX deploys_by_stage ON deploys (project, stage, created_at);
      CREATE INDEX deploys_by_created ON deploys (created_at);
      CREATE INDEX deploys_by_status ON deploys (status);

      CREATE TABLE deploy_phases (
        id INTEGER PRIMARY KEY,
        deploy_id TEXT NOT NULL REFERENCES deploys (id) ON DELETE CASCADE,
        phase TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        ok INTEGER
      ) STRICT;
      CREATE INDEX deploy_phases_by_deploy ON deploy_phases (deploy_id, id);

      CREATE TABLE deploy_events (
        deploy_id TEXT NOT NULL REFERENCES deploys (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        phase TEXT,
        status TEXT,
        PRIMARY KEY (deploy_id, seq)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE live_versions (
        project TEXT NOT NULL,
        stage TEXT NOT NULL,
        deploy_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        image TEXT NOT NULL,
        digest TEXT,
        image_ref TEXT NOT NULL,
        container_id TEXT NOT NULL,
        container_name TEXT NOT NULL,
        since TEXT NOT NULL,
        PRIMARY KEY (project, stage)
      ) STRICT;

      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        seen_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX deliveries_by_seen ON deliveries (seen_at);

      CREATE TABLE kv_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'key/value state may expire (delivery and comment records, logged-out sessions)',
    sql: `
      ALTER TABLE kv_state ADD COLUMN expires_at TEXT;
      CREATE INDEX kv_state_by_expiry ON kv_state (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'forge report outbox: reports are written before they are sent, and survive a restart',
    sql: `
      CREATE TABLE report_outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        job TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT NOT NULL,
        last_error TEXT
      ) STRICT;
    `,
  },
  {
    version: 4,
    description: "a stage's deploys by status (the overview's waiting approvals and rollback targets)",
    // Without it each stage's status query read every deploy of the stage: with 100,000 deploys
    // over 510 stages, the overview spent most of its time there (npm run bench -- scale).
    sql: `
      CREATE INDEX deploys_by_stage_status ON deploys (project, stage, status, created_at);
    `,
  },
  {
    version: 5,
    description: 'deploys say which strategy ran and, for recreate, how long the site was down',
    sql: `
      ALTER TABLE deploys ADD COLUMN strategy TEXT;
      ALTER TABLE deploys ADD COLUMN downtime_ms INTEGER;
    `,
  },
  {
    version: 6,
    description:
      'honest deploy records: kind (deploy or teardown), domain, route snapshot, attempt; ' +
      'teardowns of nothing live lose their made-up image and tag',
    sql: `
      ALTER TABLE deploys ADD COLUMN kind TEXT NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'teardown'));
      ALTER TABLE deploys ADD COLUMN domain TEXT;
      ALTER TABLE deploys ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE deploys RENAME COLUMN proxy_before TO route_before;
      UPDATE deploys SET kind = 'teardown' WHERE json_extract(intent, '$.trigger') = 'teardown';
      -- A teardown with nothing live was stored as image '' (or the project's) and tag 'none'.
      UPDATE deploys SET intent = json_remove(intent, '$.image', '$.tag', '$.digest')
        WHERE kind = 'teardown' AND json_extract(intent, '$.tag') = 'none';
      UPDATE deploys SET domain = json_extract(route_before, '$.domain')
        WHERE route_before IS NOT NULL AND json_type(route_before, '$.domain') = 'text';
    `,
  },
  {
    version: 7,
    description:
      'one table of claims (deliveries, command comments, logged-out sessions) instead of deliveries ' +
      'and key/value records; existing ones move over with their expiry',
    sql: `
      CREATE TABLE claims (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL DEFAULT '',
        expires_at TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX claims_by_expiry ON claims (expires_at);
      -- A delivery id was kept for twice the signature's timestamp window (2 x 300 s) after it was seen.
      INSERT INTO claims (scope, key, value, expires_at)
        SELECT 'delivery', d.id,
          coalesce((SELECT value FROM kv_state WHERE key = 'delivery-deploy:' || d.id), ''),
          coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', d.seen_at, '+600 seconds'), d.seen_at)
        FROM deliveries d;
      INSERT OR IGNORE INTO claims (scope, key, value, expires_at)
        SELECT 'comment', substr(key, length('webhook-comment:') + 1), '',
          coalesce(expires_at, '9999-12-31T23:59:59.999Z')
        FROM kv_state WHERE key LIKE 'webhook-comment:%';
      INSERT OR IGNORE INTO claims (scope, key, value, expires_at)
        SELECT 'logged-out-session', substr(key, length('dashboard-logout:') + 1), '', coalesce(expires_at, value)
        FROM kv_state WHERE key LIKE 'dashboard-logout:%';
      DELETE FROM kv_state
        WHERE key LIKE 'webhook-comment:%' OR key LIKE 'dashboard-logout:%' OR key LIKE 'delivery-deploy:%';
      DROP TABLE deliveries;
    `,
  },
  {
    version: 8,
    description:
      'previews per pull request: which PR a preview stage belongs to, its last deploy and its removal',
    sql: `
      CREATE TABLE previews (
        project TEXT NOT NULL,
        pr INTEGER NOT NULL,
        stage TEXT NOT NULL,
        repository TEXT,
        forge TEXT,
        domain TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_deploy_at TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('live', 'removing', 'removed')),
        removed_at TEXT,
        removed_reason TEXT,
        PRIMARY KEY (project, pr)
      ) STRICT;
      CREATE INDEX previews_by_state ON previews (state, last_deploy_at);
    `,
  },
];

/**
 * Brings the database up to the newest migration, each step in its own transaction with its
 * user_version bump, so a crash leaves the database at a whole version. Returns the version.
 * A database written by a newer docker-watcher is refused rather than misread.
 */
export function migrate(
  db: DatabaseSync,
  location: string,
  migrations: readonly Migration[] = MIGRATIONS,
): number {
  const latest = migrations.at(-1)?.version ?? 0;
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock first, so two processes opening the same file cannot both run a step.
    db.exec('BEGIN IMMEDIATE');
    try {
      const current = userVersion(db);
      if (current > latest) {
        throw new Error(
          `database ${location} has schema version ${current}, but this docker-watcher knows versions up to ${latest}: ` +
            'upgrade docker-watcher or point it at another data file',
        );
      }
      if (migration.version > current) {
        db.exec(migration.sql);
        db.exec(`PRAGMA user_version = ${migration.version}`);
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return userVersion(db);
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  return Number(row?.['user_version'] ?? 0);
}
