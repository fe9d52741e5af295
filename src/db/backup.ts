// Backups of the embedded PostgreSQL that `npm start` runs without DATABASE_URL, with
// PostgreSQL's own tools (docs/decisions/0020): archive_command copies every finished WAL segment
// to BACKUP_DIR/archive (set when the server starts, src/db/embedded.ts); the base-backup job
// copies the data directory between pg_backup_start and pg_backup_stop into
// BACKUP_DIR/base/<the moment it became restorable>. A restore is the newest base backup before a
// chosen moment plus the archive replayed up to it (prepareRestore, `npm run db:restore`).
// A server of its own (DATABASE_URL) is backed up where it runs (pgBackRest; docs/operations.md).
import { existsSync } from 'node:fs';
import { appendFile, chmod, copyFile, cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatJstDateTime, jstInstant } from '../lib/jst.js';
import { isCalendarDate } from '../lib/validation.js';
import type { Queryable } from './client.js';
import { giveToServerUser } from './embedded.js';

export const archiveDirOf = (backupDir: string): string => path.join(path.resolve(backupDir), 'archive');
const baseDirOf = (backupDir: string) => path.join(path.resolve(backupDir), 'base');
/** The embedded server's superuser password (kept beside its data directory), saved with the backups. */
const PASSWORD_FILE = 'superuser.password';

/** A base backup's folder name: the UTC moment from which it can be restored, e.g. 20261202T173000.250Z. */
const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2}\.\d{3})Z$/;
const stampOf = (moment: Date) => moment.toISOString().replace(/[-:]/g, '');
const momentOf = (stamp: string) => {
  const [, y, mo, d, h, mi, s] = STAMP.exec(stamp)!;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
};

export class BackupError extends Error {}

/** The run files of a live server and its WAL (the archive has it) are not part of a base backup. */
function partOfBackup(source: string, dataDir: string): boolean {
  const relative = path.relative(dataDir, source);
  return !/^(postmaster\.(pid|opts)|\.s\.PGSQL\.\d+(\.lock)?)$/.test(relative) && !relative.startsWith(`pg_wal${path.sep}`);
}

/**
 * Copies the data directory of the server `session` is connected to (this machine's embedded
 * server: its files must be readable here) as a base backup. The copy is made under a temporary
 * name and renamed when complete, so a folder with a stamp is always a whole backup.
 */
export async function takeBaseBackup(session: Queryable, backupDir: string, passwordFile: string): Promise<{ name: string }> {
  const [{ dataDir }] = await session.query<{ dataDir: string }>(`SELECT current_setting('data_directory') AS "dataDir"`);
  const base = baseDirOf(backupDir);
  await mkdir(base, { recursive: true });
  const partial = path.join(base, `partial-${process.pid}-${Date.now()}`);
  await session.query(`SELECT pg_backup_start('mynumber-booking', true)`);
  try {
    await cp(dataDir, partial, { recursive: true, filter: (source) => partOfBackup(source, dataDir) });
  } catch (error) {
    await session.query('SELECT pg_backup_stop(false)').catch(() => {});
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  // Waits until the WAL the copy needs is in the archive; the label makes the copy restorable.
  const [{ labelfile, restorableFrom }] = await session.query<{ labelfile: string; restorableFrom: Date }>(
    `SELECT labelfile, clock_timestamp() AS "restorableFrom" FROM pg_backup_stop(true)`,
  );
  await writeFile(path.join(partial, 'backup_label'), labelfile);
  if (existsSync(passwordFile)) await copyFile(passwordFile, path.join(path.resolve(backupDir), PASSWORD_FILE));
  // Rounded up to the millisecond: the name never claims a moment before the backup was whole.
  const name = stampOf(new Date(Math.ceil(new Date(restorableFrom).getTime()) + 1));
  await rename(partial, path.join(base, name));
  return { name };
}

/** The whole base backups, oldest first. */
export async function baseBackups(backupDir: string): Promise<{ name: string; restorableFrom: Date }[]> {
  const names = await readdir(baseDirOf(backupDir)).catch(() => [] as string[]);
  return names
    .filter((name) => STAMP.test(name))
    .sort()
    .map((name) => ({ name, restorableFrom: momentOf(name) }));
}

/**
 * Keeps the newest `keep` base backups and the archived WAL from the oldest of them on (what
 * pg_archivecleanup does); removes the rest, and copies a crashed backup left half-made.
 */
export async function pruneBackups(backupDir: string, keep: number): Promise<{ removedBackups: number; removedWal: number }> {
  const base = baseDirOf(backupDir);
  const all = await baseBackups(backupDir);
  const removed = all.slice(0, Math.max(0, all.length - keep));
  const leftovers = (await readdir(base).catch(() => [] as string[])).filter((name) => name.startsWith('partial-'));
  for (const name of [...removed.map((backup) => backup.name), ...leftovers]) await rm(path.join(base, name), { recursive: true, force: true });
  const oldestKept = all[removed.length];
  if (!oldestKept) return { removedBackups: removed.length, removedWal: 0 };
  const label = await readFile(path.join(base, oldestKept.name, 'backup_label'), 'utf8');
  const firstNeeded = /START WAL LOCATION: .* \(file ([0-9A-F]{24})\)/.exec(label)?.[1];
  if (!firstNeeded) return { removedBackups: removed.length, removedWal: 0 };
  // WAL segment files, and the .backup/.partial files named after one; timeline history files stay.
  const segments = (await readdir(archiveDirOf(backupDir)).catch(() => [] as string[])).filter((name) => /^[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?$/.test(name));
  // Compared without the timeline, as pg_archivecleanup does.
  const unneeded = segments.filter((name) => name.slice(8, 24) < firstNeeded.slice(8, 24));
  for (const name of unneeded) await rm(path.join(archiveDirOf(backupDir), name), { force: true });
  return { removedBackups: removed.length, removedWal: unneeded.length };
}

/**
 * Makes `into` (which must not exist yet) a data directory that, when the embedded server starts
 * on it, replays the archive from the newest base backup restorable before `moment` up to that
 * moment, then opens for writes on a new timeline. Returns the base backup used.
 */
export async function prepareRestore(backupDir: string, into: string, moment: Date): Promise<{ base: string }> {
  const target = path.resolve(into);
  if (existsSync(target)) throw new BackupError(`復元先 ${target} が既にあります。今のデータを残すため、別の名前に移してから実行してください。`);
  const usable = (await baseBackups(backupDir)).filter((backup) => backup.restorableFrom <= moment);
  const chosen = usable.at(-1);
  if (!chosen) throw new BackupError(`${formatJstDateTime(moment)} より前に取ったベースバックアップがありません (${baseDirOf(backupDir)})。`);
  await cp(path.join(baseDirOf(backupDir), chosen.name), target, { recursive: true });
  await mkdir(path.join(target, 'pg_wal'), { recursive: true });
  await appendFile(
    path.join(target, 'postgresql.auto.conf'),
    `\n# Restored by npm run db:restore from base backup ${chosen.name}\n` +
      `restore_command = 'cp ''${archiveDirOf(backupDir)}/%f'' ''%p'''\n` +
      `recovery_target_time = '${moment.toISOString().replace('T', ' ').replace('Z', '+00')}'\nrecovery_target_action = 'promote'\n`,
  );
  await writeFile(path.join(target, 'recovery.signal'), '');
  const savedPassword = path.join(path.resolve(backupDir), PASSWORD_FILE);
  if (existsSync(savedPassword) && !existsSync(`${target}.password`)) await copyFile(savedPassword, `${target}.password`);
  await chmod(target, 0o700);
  await giveToServerUser(target);
  return { base: chosen.name };
}

/** "2026-12-02 17:30" or "2026-12-02 17:30:15", Japan time, as an instant; undefined when it is no such moment. */
export function restoreMoment(text: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[ T]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(text.trim());
  if (!match || !isCalendarDate(match[1])) return undefined;
  const [, date, hours, minutes, seconds = '0'] = match;
  return new Date(jstInstant(date, Number(hours) * 60 + Number(minutes)).getTime() + Number(seconds) * 1000);
}
