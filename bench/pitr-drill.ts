// Backup and point-in-time recovery drill (issue 17.1), with the app's own backup code
// (src/db/backup.ts: PostgreSQL's archive_command, and a base backup through the backup API,
// pg_backup_start, a copy of the data directory, pg_backup_stop). Citizens book in three batches; the base backup is
// taken after the first; a moment is chosen between the second and the third; the server is
// then thrown away and a new one restored from the backup and the archive to that moment.
// Every booking committed before it must be there, none after.
//
//   npx tsx bench/pitr-drill.ts        Knobs: BENCH_BATCH (300 bookings per batch)
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { archiveDirOf, prepareRestore, takeBaseBackup } from '../src/db/backup.js';
import { connectDatabase } from '../src/db/client.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrator.js';
import { transaction } from '../src/db/transaction.js';
import { bookSlot } from '../src/features/booking/index.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';
const BATCH = Number(process.env.BENCH_BATCH ?? 300);
// Places for all three batches in the scenario's 3 days x 32 slots (the core bench reads this when loaded).
process.env.BENCH_SLOT_CAPACITY ??= String(Math.max(12, Math.ceil((BATCH * 3) / 96)));
const { seedCoreScenario } = await import('./booking-core.js');
async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pitr-'));
  await chmod(root, 0o755);
  const [dataDir, backupDir, restored] = ['pg', 'backups', 'restored'].map((name) => path.join(root, name));

  // The server, with every finished WAL segment copied to the archive (as `npm start` with BACKUP_DIR).
  const server: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, persistent: true, archiveDir: archiveDirOf(backupDir) });
  const url = await ensureDatabase(server.url, 'pitr');
  await applyMigrations(url);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const scenario = await seedCoreScenario(client, addDays(todayInJapan(), 7), 'pitr', BATCH * 3);
  const db = connectDatabase(url, 10);
  let next = 0;
  const bookBatch = async () => {
    const codes: string[] = [];
    for (let i = 0; i < BATCH; i += 1) {
      const holder = scenario.citizens[next];
      const slotId = scenario.slotIds[next % scenario.slotIds.length];
      next += 1;
      const { groupCode } = await transaction(
        db,
        { type: 'citizen', id: String(holder) },
        (tx) => bookSlot(tx, { slotId, cardHolderIds: [holder], channel: 'web', email: null, by: null, baseUrl: 'http://127.0.0.1' }),
        { models: false },
      );
      codes.push(groupCode);
    }
    return codes;
  };

  const first = await bookBatch();
  // Base backup: the base-backup job's own code (src/db/backup.ts).
  const started = performance.now();
  await takeBaseBackup({ query: async (text: string, values?: unknown[]) => (await client.query(text, values)).rows }, backupDir, `${dataDir}.password`);
  const backupSeconds = (performance.now() - started) / 1000;

  const second = await bookBatch();
  // One millisecond on: a Date keeps milliseconds, the server microseconds.
  const [{ target }] = (await client.query<{ target: Date }>(`SELECT clock_timestamp() + interval '1 millisecond' AS target`)).rows;
  await sleep(1_100);
  const third = await bookBatch();
  // Make the last segment archivable and wait until the archive has it.
  const [{ wal }] = (await client.query<{ wal: string }>(`SELECT pg_walfile_name(pg_switch_wal()) AS wal`)).rows;
  for (let i = 0; i < 100; i += 1) {
    const [{ archived }] = (await client.query<{ archived: string | null }>(`SELECT last_archived_wal AS archived FROM pg_stat_archiver`)).rows;
    if (archived !== null && archived >= wal) break;
    await sleep(100);
  }
  await client.end();
  await db.close();
  await server.stop(); // the server is lost

  // Restore: the base backup, then the archive replayed up to the chosen moment (`npm run db:restore`'s code).
  const restoreStarted = performance.now();
  await prepareRestore(backupDir, restored, target);
  const again = await startEmbeddedPostgres({ dataDir: restored, persistent: true });
  const restoredUrl = new URL(again.url);
  restoredUrl.pathname = '/pitr';
  for (let i = 0; i < 300; i += 1) {
    const [{ recovering }] = await query<{ recovering: boolean }>(restoredUrl.toString(), `SELECT pg_is_in_recovery() AS recovering`);
    if (!recovering) break;
    await sleep(100);
  }
  const restoreSeconds = (performance.now() - restoreStarted) / 1000;
  const present = new Set((await query<{ code: string }>(restoredUrl.toString(), `SELECT code FROM bookings`)).map((row) => row.code));
  const count = (codes: string[]) => codes.filter((code) => present.has(code)).length;

  console.log(`point-in-time recovery drill: ${BATCH} bookings per batch, WAL archived by archive_command, base backup by pg_backup_start/stop`);
  console.log(`  base backup (after batch 1): ${backupSeconds.toFixed(1)} s; restore to ${target.toISOString()} (between batches 2 and 3): ${restoreSeconds.toFixed(1)} s`);
  console.log(
    `  after the restore: batch 1 ${count(first)}/${first.length}, batch 2 ${count(second)}/${second.length} (both before the moment), batch 3 ${count(third)}/${third.length} (after it)`,
  );
  const ok = count(first) === first.length && count(second) === second.length && count(third) === 0;
  console.log(ok ? '  every booking committed before the moment is there, none after' : '  FAILED: the restore does not match the moment');
  await again.stop();
  await rm(root, { recursive: true, force: true });
  await rm(`${dataDir}.password`, { force: true });
  await rm(`${restored}.password`, { force: true });
  if (!ok) process.exitCode = 1;
}

await main();
