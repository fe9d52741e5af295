import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.js';

export interface TestDatabase extends Database {
  url: string;
  serverUrl: string;
}

const CLONE_LOCK = 7_310_001;

/** Runs one statement on the server; clones are serialised (a template allows one reader at a time). */
async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [CLONE_LOCK]);
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new database on the test server (a copy of `template` if given) and how to drop it. */
async function newDatabase(template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = inject('databaseServerUrl');
  const name = `booking_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * A fresh database for this test file, cloned from the migrated template, dropped afterwards.
 * Files never share data, so they can run in parallel.
 */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const { url, drop } = await newDatabase(inject('templateDatabase'));
  const database = connectDatabase(url, poolSize);
  let dropped = false;
  const close = async () => {
    if (dropped) return;
    dropped = true;
    await database.close();
    await drop();
  };
  afterAll(close);
  return { ...database, url, serverUrl: inject('databaseServerUrl'), close };
}

/** An empty database for this test file (no migration applied), dropped afterwards; its URL. */
export async function createEmptyDatabase(): Promise<string> {
  const { url, drop } = await newDatabase();
  afterAll(drop);
  return url;
}

/** Empties every table but the migration history and the pickup procedure the migrations made (for tests that need a clean slate). */
export async function truncateAll(database: Database): Promise<void> {
  await database.pool.query(`
    DO $$ DECLARE tables text;
    BEGIN
      SELECT string_agg(format('%I', tablename), ', ') INTO tables FROM pg_tables
       WHERE schemaname = 'public' AND tablename NOT IN ('_prisma_migrations', 'audit_logs', 'procedures');
      EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE';
      DELETE FROM procedures WHERE code <> 'pickup';
    END $$`);
}

/**
 * Resolves once another backend is waiting for a lock that the connection `holder` holds, so a
 * test can order a race without sleeping; fails after the deadline if nothing ever waits.
 */
export async function waitUntilBlockedBy(database: Database, holder: pg.ClientBase, deadlineMs = 10_000): Promise<void> {
  const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const waiting = await database.pool.query('SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [rows[0].pid]);
    if (waiting.rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no backend waited for a lock held by backend ${rows[0].pid} within ${deadlineMs} ms`);
}
