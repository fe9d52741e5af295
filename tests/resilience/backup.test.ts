// Backups of the embedded PostgreSQL (issue 17.1): with BACKUP_DIR set, the server archives its
// WAL and the base-backup job (run here as the scheduler runs it) copies the data directory;
// a restore to a chosen moment brings back every booking committed before it and none after.
// Uses a PostgreSQL of its own, thrown away and restored.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { archiveDirOf, baseBackups, BackupError, prepareRestore, pruneBackups, restoreMoment } from '../../src/db/backup.js';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrator.js';
import { baseBackupJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { createCounter } from '../helpers/factories.js';

let root: string;
let dataDir: string;
let backupDir: string;
let server: EmbeddedDatabase;
let db: Database;
const config = () => loadConfig({ NODE_ENV: 'test', EMBEDDED_PG_DIR: dataDir, BACKUP_DIR: backupDir, BACKUP_KEEP: '2' });
const takeBackup = async () => {
  const result = await runJob(db, baseBackupJob, { config: config(), now: new Date(), baseUrl: 'http://127.0.0.1', secret: 'x'.repeat(32) });
  expect(result, JSON.stringify(result)).toMatchObject({ status: 'ok' });
  return result;
};
const counterNames = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = await client.query<{ name: string }>('SELECT name FROM counters ORDER BY name');
  await client.end();
  return rows.rows.map((row) => row.name);
};
/** Commits one row that a restore must or must not bring back. */
const commitMarker = (name: string) => createCounter(db, { name });
// A Date keeps milliseconds, the server microseconds: one more millisecond keeps a commit made
// just before (in the same millisecond) before the moment.
const serverMoment = async () => (await db.query<{ now: Date }>(`SELECT clock_timestamp() + interval '1 millisecond' AS now`))[0].now;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'backup-'));
  await chmod(root, 0o755); // as root, PostgreSQL runs as another user that must enter it
  [dataDir, backupDir] = [path.join(root, 'pg'), path.join(root, 'backups')];
  server = await startEmbeddedPostgres({ dataDir, persistent: true, archiveDir: archiveDirOf(backupDir) });
  const url = await ensureDatabase(server.url, 'backup_drill');
  await applyMigrations(url);
  db = connectDatabase(url, 4);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('backups of the embedded PostgreSQL', () => {
  it('When BACKUP_DIR is set, then the base backup runs daily at BACKUP_TIME (Japan time) and only on the embedded server', () => {
    expect(baseBackupJob.schedules(config())).toEqual(['30 2 * * *']);
    expect(baseBackupJob.schedules(loadConfig({ BACKUP_DIR: backupDir, BACKUP_TIME: '23:05' }))).toEqual(['5 23 * * *']);
    expect(baseBackupJob.schedules(loadConfig({}))).toEqual([]);
    expect(baseBackupJob.schedules(loadConfig({ BACKUP_DIR: backupDir, DATABASE_URL: 'postgres://db.example/x' }))).toEqual([]);
    for (const time of ['24:00', '2:30', '02:30\u0000']) expect(() => loadConfig({ BACKUP_TIME: time }), time).toThrow(/BACKUP_TIME/);
    for (const keep of ['0', '2147483648', '1.5', 'seven']) expect(() => loadConfig({ BACKUP_KEEP: keep }), keep).toThrow(/BACKUP_KEEP/);
  });

  it('When the server is lost after a backup, then a restore to a chosen moment has every row committed before it and none after', async () => {
    await commitMarker('before the backup');
    await takeBackup();
    await commitMarker('after the backup, before the moment');
    const moment = await serverMoment();
    await sleep(1_100);
    await commitMarker('after the moment');
    // The segment with the last commit goes to the archive, then the server is lost.
    await db.query('SELECT pg_switch_wal()');
    await db.query('CHECKPOINT');
    await sleep(500);
    await db.close();
    await server.stop();

    const restored = path.join(root, 'restored');
    const { base } = await prepareRestore(backupDir, restored, moment);
    expect((await baseBackups(backupDir)).map((backup) => backup.name)).toContain(base);
    const again = await startEmbeddedPostgres({ dataDir: restored, persistent: true });
    try {
      const url = new URL(again.url);
      url.pathname = '/backup_drill';
      expect(await counterNames(url.toString())).toEqual(['after the backup, before the moment', 'before the backup']);
    } finally {
      await again.stop();
    }
    // The server is back on its own data for the next test.
    server = await startEmbeddedPostgres({ dataDir, persistent: true, archiveDir: archiveDirOf(backupDir) });
    const url = new URL(server.url);
    url.pathname = '/backup_drill';
    db = connectDatabase(url.toString(), 4);
  }, 60_000);

  it('When more backups are taken than BACKUP_KEEP, then the oldest and the WAL only they needed are removed, and a moment before the oldest kept cannot be restored', async () => {
    const beforeAll = await serverMoment();
    await takeBackup();
    await commitMarker('between backups');
    await db.query('SELECT pg_switch_wal()');
    await takeBackup();
    const backups = await baseBackups(backupDir);
    expect(backups).toHaveLength(2);
    const archived = await readdir(archiveDirOf(backupDir));
    const segments = archived.filter((name) => /^[0-9A-F]{24}$/.test(name)).sort();
    // Nothing older than the oldest kept backup's first segment is left, and that one is there.
    const label = await import('node:fs/promises').then((fs) => fs.readFile(path.join(backupDir, 'base', backups[0].name, 'backup_label'), 'utf8'));
    const firstNeeded = /\(file ([0-9A-F]{24})\)/.exec(label)![1];
    expect(segments[0].slice(8)).toBe(firstNeeded.slice(8));
    expect(await pruneBackups(backupDir, 2)).toEqual({ removedBackups: 0, removedWal: 0 });

    const refused = prepareRestore(backupDir, path.join(root, 'too-early'), beforeAll);
    await expect(refused).rejects.toThrow(BackupError);
    await expect(refused).rejects.toThrow(/より前に取ったベースバックアップがありません/);
    expect(existsSync(path.join(root, 'too-early'))).toBe(false);
  }, 60_000);

  it('When the moment to restore to is typed, then it is read as Japan time, and an impossible one is refused', () => {
    expect(restoreMoment('2026-12-02 17:30')).toEqual(new Date('2026-12-02T08:30:00Z'));
    expect(restoreMoment(' 2026-12-02T17:30:15 ')).toEqual(new Date('2026-12-02T08:30:15Z'));
    for (const text of ['2026-02-31 10:00', '2026-12-02 24:00', '2026-12-02 17:60', '2026-12-02', '', 'yesterday', '2026-12-02 17:30\u0000', '99999-12-02 17:30'])
      expect(restoreMoment(text), text).toBeUndefined();
  });

  it('When the folder to restore into already exists, then nothing is written over it', async () => {
    const existing = path.join(root, 'existing');
    await mkdir(existing);
    await expect(prepareRestore(backupDir, existing, new Date())).rejects.toThrow(/既にあります/);
    expect(await readdir(existing)).toEqual([]);
  });

  it('When two app processes start the daily backup at the same moment, then one takes it and the other skips', async () => {
    const before = (await baseBackups(backupDir)).length;
    const context = { config: config(), now: new Date(), baseUrl: 'http://127.0.0.1', secret: 'x'.repeat(32) };
    const results = await Promise.all([runJob(db, baseBackupJob, context), runJob(db, baseBackupJob, context)]);
    expect(results.map((result) => result.status).sort()).toEqual(['ok', 'skipped']);
    expect((await baseBackups(backupDir)).length).toBe(Math.min(before + 1, 2)); // BACKUP_KEEP is 2
    expect((await readdir(path.join(backupDir, 'base'))).filter((name) => name.startsWith('partial-'))).toEqual([]);
  }, 60_000);

  it('When a backup was cut off half-way (the process died), then the next prune removes its partial copy', async () => {
    const partial = path.join(backupDir, 'base', 'partial-1-1');
    await mkdir(partial, { recursive: true });
    await takeBackup();
    expect(existsSync(partial)).toBe(false);
    expect(await baseBackups(backupDir)).toHaveLength(2);
  }, 60_000);
});
