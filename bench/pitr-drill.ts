// Backup and point-in-time recovery drill (issue 17.1), with the app's own backup code
// (src/db/backup.ts: PostgreSQL's archive_command, and a base backup through the backup API,
// pg_backup_start, a copy of the data directory, pg_backup_stop). PostgreSQL runs on a simulated
// clock (Debian's libfaketime): yesterday, the nightly base backup at 02:30, citizens booking in
// the morning and the afternoon, more in the evening after 17:30; today, the next nightly backup
// and the morning's bookings. Then the server is lost, and a new one restored, with the restore
// command's own code, to yesterday 17:30 Japan time: every booking committed before that moment
// must be there, none after.
//
//   apt-get install libfaketime        (Debian's package; once)
//   npx tsx bench/pitr-drill.ts        Knobs: BENCH_BATCH (300 bookings per batch)
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { archiveDirOf, prepareRestore, restoreMoment, takeBaseBackup } from '../src/db/backup.js';
import { connectDatabase } from '../src/db/client.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrator.js';
import { transaction } from '../src/db/transaction.js';
import { bookSlot } from '../src/features/booking/index.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';
const BATCH = Number(process.env.BENCH_BATCH ?? 300);
const BATCHES = 4;
// Places for every batch in the scenario's 3 days x 32 slots (the core bench reads this when loaded).
process.env.BENCH_SLOT_CAPACITY ??= String(Math.max(12, Math.ceil((BATCH * BATCHES) / 96)));
const { seedCoreScenario } = await import('./booking-core.js');
const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/** How often each PostgreSQL process reads the simulated clock's file again (seconds). */
const CLOCK_REREAD_SECONDS = 1;

/**
 * PostgreSQL's simulated clock: libfaketime, preloaded into the server and every process it
 * starts, adds the offset written in `file` to the real time. Monotonic clocks (timeouts) stay real.
 */
async function simulatedClock(file: string) {
  await writeFile(file, '+0\n', { mode: 0o644 });
  return {
    env: { LD_PRELOAD: FAKETIME, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_CACHE_DURATION: String(CLOCK_REREAD_SECONDS), FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    /** Sets PostgreSQL's clock to `japanTime` ("2026-12-02 09:00") and waits until every process has read it. */
    async set(japanTime: string): Promise<void> {
      const offset = Math.round((restoreMoment(japanTime)!.getTime() - Date.now()) / 1000);
      await writeFile(file, `${offset >= 0 ? '+' : ''}${offset}\n`, { mode: 0o644 });
      await sleep(CLOCK_REREAD_SECONDS * 1000 + 500);
    },
  };
}

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
  if (!existsSync(FAKETIME)) {
    console.error("this drill needs Debian's libfaketime: apt-get install libfaketime");
    process.exitCode = 1;
    return;
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'pitr-'));
  await chmod(root, 0o755);
  const [dataDir, backupDir, restored] = ['pg', 'backups', 'restored'].map((name) => path.join(root, name));
  const [yesterday, today] = [addDays(todayInJapan(), -1), todayInJapan()];
  const clock = await simulatedClock(path.join(root, 'clock'));

  // The server, with every finished WAL segment copied to the archive (as `npm start` with
  // BACKUP_DIR), on the simulated clock; the restored server below runs on the real one.
  const server: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, persistent: true, archiveDir: archiveDirOf(backupDir), env: clock.env });
  const url = await ensureDatabase(server.url, 'pitr');
  await applyMigrations(url);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const scenario = await seedCoreScenario(client, addDays(todayInJapan(), 7), 'pitr', BATCH * BATCHES);
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
  const bookAt = async (japanTime: string) => {
    await clock.set(japanTime);
    return { at: japanTime, codes: await bookBatch() };
  };
  // The base-backup job's own code (src/db/backup.ts), at its time of night.
  const nightlyBackup = async (date: string) => {
    await clock.set(`${date} 02:30`);
    const started = performance.now();
    const { name } = await takeBaseBackup({ query: async (text: string, values?: unknown[]) => (await client.query(text, values)).rows }, backupDir, `${dataDir}.password`);
    return { name, seconds: (performance.now() - started) / 1000 };
  };

  const lastNight = await nightlyBackup(yesterday);
  const morning = await bookAt(`${yesterday} 09:00`);
  const afternoon = await bookAt(`${yesterday} 14:00`);
  const moment = `${yesterday} 17:30`;
  const evening = await bookAt(`${yesterday} 18:00`);
  const tonight = await nightlyBackup(today);
  const todays = await bookAt(`${today} 09:00`);
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

  // Restore with the code of `npm run db:restore -- "<yesterday> 17:30"`: the newest base backup
  // before the moment, then the archive replayed up to it.
  const restoreStarted = performance.now();
  const { base } = await prepareRestore(backupDir, restored, restoreMoment(moment)!);
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
  const batches = [
    { name: 'yesterday morning', before: true, ...morning },
    { name: 'yesterday afternoon', before: true, ...afternoon },
    { name: 'yesterday evening', before: false, ...evening },
    { name: 'today morning', before: false, ...todays },
  ];

  console.log(`point-in-time recovery drill: ${BATCH} bookings per batch, PostgreSQL on a simulated clock (libfaketime), WAL archived by archive_command`);
  console.log(`  nightly base backups (pg_backup_start/stop): ${lastNight.name} in ${lastNight.seconds.toFixed(1)} s, ${tonight.name} in ${tonight.seconds.toFixed(1)} s`);
  console.log(`  restored to ${moment} Japan time (yesterday) from base backup ${base}: ${restoreSeconds.toFixed(1)} s`);
  for (const batch of batches) {
    console.log(`  booked ${batch.at} (${batch.name}, ${batch.before ? 'before' : 'after'} the moment): ${count(batch.codes)}/${batch.codes.length} after the restore`);
  }
  const ok = base === lastNight.name && batches.every((batch) => count(batch.codes) === (batch.before ? batch.codes.length : 0));
  console.log(ok ? '  every booking committed before the moment is there, none after' : '  FAILED: the restore does not match the moment');
  await again.stop();
  await rm(root, { recursive: true, force: true });
  await rm(`${dataDir}.password`, { force: true });
  await rm(`${restored}.password`, { force: true });
  if (!ok) process.exitCode = 1;
}

await main();
