// Handover to the next vendor (issue 19, point 4): every table exported as documented CSV in one
// file, and re-imported into an empty database completely, or refused with nothing written.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { transaction } from '../../src/db/transaction.js';
import { openHandoverFile, writeHandoverFile } from '../../src/features/handover/archive.js';
import { readCatalog } from '../../src/features/handover/catalog.js';
import { exportHandover, type Manifest } from '../../src/features/handover/export.js';
import { importHandover } from '../../src/features/handover/import.js';
import { AppError } from '../../src/lib/app-error.js';
import { translator } from '../../src/lib/i18n.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { fillEveryTable, snapshot } from './fill.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const actor = { type: 'system' as const, id: 'test' };
const t = translator();

let source: TestDatabase;
let dir: string;
beforeAll(async () => {
  source = await createTestDatabase(4);
  await fillEveryTable(source, { now, today });
  dir = await mkdtemp(path.join(tmpdir(), 'handover-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What `npm run data:export` does: one snapshot transaction writing into the file. */
function exportTo(db: Database, file: string, options: { encoding?: 'utf8' | 'sjis'; password?: string; signal?: AbortSignal } = {}): Promise<Manifest> {
  return writeHandoverFile(file, options.password, (zip) =>
    transaction(db, actor, (tx) => exportHandover(tx, zip, { encoding: options.encoding ?? 'utf8', today, createdAt: now, signal: options.signal }), {
      isolation: 'snapshot',
      timeoutMs: 60_000,
    }),
  );
}

/** What `npm run data:import` does: the file checked whole, then one transaction. */
async function importFrom(db: Database, file: string, password?: string) {
  const handover = await openHandoverFile(file, password);
  try {
    return await transaction(db, actor, (tx) => importHandover(tx, handover), { models: false, timeoutMs: 60_000 });
  } finally {
    await handover.close();
  }
}

/** The Japanese message an operator reads for a refusal. */
async function refusal(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  const { messageKey, params } = error as AppError;
  const message = t(messageKey, params);
  expect(message).not.toBe(messageKey);
  return message;
}

const file = (name: string) => path.join(dir, name);

describe('handover export and re-import', () => {
  it('When every table has rows, then the export holds a CSV of each and re-imports into an empty database row for row, sequences included', async () => {
    const before = await snapshot(source);
    for (const [table, rows] of Object.entries(before.tables)) expect(rows.length, `${table} has no row to export`).toBeGreaterThan(0);

    const manifest = await exportTo(source, file('all.zip'));
    expect(manifest.tables.map((table) => table.name).sort()).toEqual(Object.keys(before.tables).sort());
    expect(manifest.tables.map((table) => table.name)).toContain('tickets');

    const target = await createTestDatabase(2);
    const result = await importFrom(target, file('all.zip'));
    expect(result.rows).toBe(Object.values(before.tables).reduce((sum, rows) => sum + rows.length, 0));
    expect(await snapshot(target)).toEqual(before);

    // Serial ids go on after the imported ones instead of colliding with them.
    const counter = await target.prisma.counter.create({ data: { code: 'after-import', name: '新しい窓口' } });
    const highest = await source.prisma.counter.aggregate({ _max: { id: true } });
    expect(counter.id).toBeGreaterThan(highest._max.id!);
  });

  it('When rows are written while the export runs, then the file holds every table as it was when the export began', async () => {
    const db = await createTestDatabase(2);
    await fillEveryTable(db, { now, today });
    const notices = await db.prisma.statusNotice.count();
    let added = false;
    // Once the first table is in the file, another connection commits a row in a table the export has not reached.
    const onTable = async () => {
      if (added) return;
      added = true;
      await db.prisma.statusNotice.create({ data: { kind: 'incident', title: '書き出し中の追加', startsAt: now, createdBy: 'staff:1' } });
    };
    const manifest = await writeHandoverFile(file('during.zip'), undefined, (zip) =>
      transaction(db, actor, (tx) => exportHandover(tx, zip, { encoding: 'utf8', today, createdAt: now, onTable }), { isolation: 'snapshot', timeoutMs: 60_000 }),
    );
    expect(await db.prisma.statusNotice.count()).toBe(notices + 1);
    expect(manifest.tables[0].name).not.toBe('status_notices');
    expect(manifest.tables.find((table) => table.name === 'status_notices')!.rows).toBe(notices);
  });

  it('When the export is opened without our code, then the ZIP holds README, schedule.yaml, manifest and CSVs that sha256sum -c accepts, with formulas marked', async () => {
    await exportTo(source, file('plain.zip'));
    const unpacked = file('plain');
    execFileSync('unzip', ['-q', file('plain.zip'), '-d', unpacked]);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: unpacked, encoding: 'utf8' })).not.toMatch(/FAILED/);
    expect(execFileSync('sha256sum', ['-c', 'all.zip.sha256'], { cwd: dir, encoding: 'utf8' })).toMatch(/OK/);
    expect((await readdir(unpacked)).sort()).toEqual(['README.md', 'SHA256SUMS', 'manifest.json', 'schedule.yaml', 'tables']);

    const holders = await readFile(path.join(unpacked, 'tables/card_holders.csv'), 'utf8');
    expect(holders.startsWith('\uFEFFid,notice_id,')).toBe(true);
    expect(holders).toContain(`"'=HYPERLINK(""http://example.invalid"",""押してください"")"`);
    expect(holders).toContain(`''=既に印のある値`);
    expect(holders).toContain(`'-棚 1, 段 2`);
    const readme = await readFile(path.join(unpacked, 'README.md'), 'utf8');
    expect(readme).toContain('### tickets (tables/tickets.csv');
    expect(await readFile(path.join(unpacked, 'schedule.yaml'), 'utf8')).toContain('本庁舎');
  });

  it('When Shift_JIS is asked for, then the CSVs are Shift_JIS and re-import exactly', async () => {
    const manifest = await exportTo(source, file('sjis.zip'), { encoding: 'sjis' });
    expect(manifest.encoding).toBe('sjis');
    const handover = await openHandoverFile(file('sjis.zip'), undefined);
    const bytes: Buffer[] = [];
    for await (const chunk of await handover.read('tables/counters.csv')) bytes.push(chunk as Buffer);
    await handover.close();
    expect(Buffer.concat(bytes).includes(Buffer.from([0x96, 0x7b, 0x92, 0xa1]))).toBe(true); // 本庁 in Shift_JIS

    const target = await createTestDatabase(2);
    await importFrom(target, file('sjis.zip'));
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('When a value has characters Shift_JIS cannot hold, then the Shift_JIS CSV shows a substitute, lists the original, and the re-import restores it', async () => {
    const db = await createTestDatabase(2);
    await fillEveryTable(db, { now, today });
    await db.prisma.statusNotice.create({ data: { kind: 'incident', title: '𠮷野家の前〜駅前 🎍', startsAt: now, createdBy: 'staff:1' } });
    const manifest = await exportTo(db, file('substituted.zip'), { encoding: 'sjis' });
    const notices = manifest.tables.find((table) => table.name === 'status_notices')!;
    expect(notices.sjisOriginals).toEqual({ file: 'tables/status_notices.sjis-originals.csv', cells: 1 });

    const handover = await openHandoverFile(file('substituted.zip'), undefined);
    const text = async (name: string, encoding: 'utf8' | 'sjis') => {
      const bytes: Buffer[] = [];
      for await (const chunk of await handover.read(name)) bytes.push(chunk as Buffer);
      return iconv.decode(Buffer.concat(bytes), encoding === 'sjis' ? 'CP932' : 'utf8');
    };
    expect(await text('tables/status_notices.csv', 'sjis')).toContain('〓野家の前～駅前 〓');
    expect(await text('tables/status_notices.sjis-originals.csv', 'utf8')).toContain('3,title,𠮷野家の前〜駅前 🎍');
    expect(await text('README.md', 'utf8')).toContain('tables/<テーブル>.sjis-originals.csv');
    await handover.close();

    const target = await createTestDatabase(2);
    await importFrom(target, file('substituted.zip'));
    expect(await snapshot(target)).toEqual(await snapshot(db));
  });

  it('When it is encrypted with a password, then gpg decrypts it to the ZIP and the import with the password restores everything', async () => {
    await exportTo(source, file('secret.zip.gpg'), { password: 'correct horse battery staple' });
    expect((await readFile(file('secret.zip.gpg'))).includes(Buffer.from('card_holders'))).toBe(false);
    await writeFile(file('password.txt'), 'correct horse battery staple\n');
    execFileSync('gpg', [
      '--batch',
      '--quiet',
      '--homedir',
      dir,
      '--passphrase-file',
      file('password.txt'),
      '--output',
      file('decrypted.zip'),
      '--decrypt',
      file('secret.zip.gpg'),
    ]);
    expect(execFileSync('unzip', ['-l', file('decrypted.zip')], { encoding: 'utf8' })).toContain('tables/tickets.csv');

    const target = await createTestDatabase(2);
    await importFrom(target, file('secret.zip.gpg'), 'correct horse battery staple');
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });
});

describe('handover refusals', () => {
  let empty: TestDatabase;
  let emptyBefore: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    empty = await createTestDatabase(2);
    emptyBefore = await snapshot(empty);
    await exportTo(source, file('good.zip'));
    await exportTo(source, file('good.zip.gpg'), { password: 'right' });
  });

  it('When the password is wrong or missing, then the import refuses in Japanese and writes nothing', async () => {
    expect(await refusal(importFrom(empty, file('good.zip.gpg'), 'wrong'))).toContain('パスワードが違う');
    expect(await refusal(importFrom(empty, file('good.zip.gpg')))).toContain('暗号化されています');
    expect(await snapshot(empty)).toEqual(emptyBefore);
  });

  it('When the file is not a handover file at all, then the import says it is damaged and writes nothing', async () => {
    await writeFile(file('notes.txt'), 'これは引継ぎファイルではありません\n');
    expect(await refusal(importFrom(empty, file('notes.txt')))).toContain('壊れています');
    expect(await snapshot(empty)).toEqual(emptyBefore);
  });

  it('When a CSV inside the file was changed, then its checksum gives it away and nothing is written', async () => {
    const unpacked = file('tamper');
    execFileSync('unzip', ['-q', file('good.zip'), '-d', unpacked]);
    const csv = path.join(unpacked, 'tables/counters.csv');
    await writeFile(csv, (await readFile(csv, 'utf8')).replace('本庁舎', '別庁舎'));
    execFileSync('zip', ['-q', '-r', file('tampered.zip'), '.'], { cwd: unpacked });
    expect(await refusal(importFrom(empty, file('tampered.zip')))).toContain('tables/counters.csv のチェックサムが SHA256SUMS と一致しません');
    expect(await snapshot(empty)).toEqual(emptyBefore);
  });

  it('When the file is cut short, plain or encrypted, then the import refuses it and writes nothing', async () => {
    for (const [name, password] of [
      ['good.zip', undefined],
      ['good.zip.gpg', 'right'],
    ] as const) {
      const whole = await readFile(file(name));
      await writeFile(file(`cut-${name}`), whole.subarray(0, Math.floor(whole.length * 0.6)));
      expect(await refusal(importFrom(empty, file(`cut-${name}`), password))).toMatch(/壊れています/);
    }
    expect(await snapshot(empty)).toEqual(emptyBefore);
  });

  it('When the database already holds data, then the import refuses it and changes nothing', async () => {
    const before = await snapshot(source);
    expect(await refusal(importFrom(source, file('good.zip')))).toMatch(/データベースが空ではありません \(テーブル \w+ に \d+ 行\)/);
    expect(await snapshot(source)).toEqual(before);
  });

  it('When the file cannot be written, then the export fails with the error and does not hang', async () => {
    await expect(exportTo(source, path.join(dir, 'no-such-folder', 'handover.zip'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(exportTo(source, path.join(dir, 'no-such-folder', 'handover.zip.gpg'), { password: 'pw' })).rejects.toMatchObject({ code: 'ENOENT' });
  }, 20_000);

  it('When the export is stopped half-way, plain or encrypted, then the half-written file is removed and nothing is left that looks complete', async () => {
    const catalog = await readCatalog(source);
    for (const [name, password] of [
      ['stopped.zip', undefined],
      ['stopped.zip.gpg', 'pw'],
    ] as const) {
      const stop = new AbortController();
      let tables = 0;
      let halfWritten = 0;
      const onTable = () => {
        if ((tables += 1) !== Math.floor(catalog.length / 2)) return;
        halfWritten = existsSync(file(`${name}.partial`)) ? 1 : 0;
        stop.abort();
      };
      const exporting = writeHandoverFile(file(name), password, (zip) =>
        transaction(source, actor, (tx) => exportHandover(tx, zip, { encoding: 'utf8', today, createdAt: now, signal: stop.signal, onTable }), {
          isolation: 'snapshot',
          timeoutMs: 60_000,
        }),
      );
      expect(await refusal(exporting)).toContain('書き出しを中断しました');
      expect(halfWritten).toBe(1);
      expect((await readdir(dir)).filter((entry) => entry.startsWith(name))).toEqual([]);
    }
  });
});
