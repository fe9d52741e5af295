// J-LIS import benchmark: generates Shift_JIS CSV files (20,000 and 100,000 rows by default),
// then times the preview (parse + stage + checks) and the one-transaction commit of the real
// services, sampling peak RSS, beside a plain COPY FROM STDIN of the same rows as the ceiling.
//   npx tsx bench/import.ts            (embedded PostgreSQL in a temp dir)
//   BENCH_DATABASE_URL=postgres://... BENCH_ROWS=100000 npx tsx bench/import.ts
import { benchDatabase } from './support.js';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connectDatabase, type Database } from '../src/db/client.js';
import { pgPoolConfig } from '../src/db/pool-config.js';
import { transaction } from '../src/db/transaction.js';
import { beginCommit, createImportBatch, previewImportBatch, uploadPath } from '../src/features/cards/import-service.js';

const SIZES = (process.env.BENCH_ROWS ?? '20000,100000').split(',').map(Number);
const PEPPER = 'bench-birth-date-pepper-0123456789abcdef0123';
const actor = { type: 'system' as const, id: 'bench' };
/** Issue 17.4: preview + commit of new rows at this rate, and the process growing less than this. */
const AIM_ROWS_PER_SECOND = 50_000;
const AIM_RSS_GROWTH_MIB = 100;

function line(n: number, offset: number, counterCode: string): string {
  const id = String(offset + n).padStart(16, '0');
  return `${id},19800401,髙﨑 太郎${n},ﾀｶｻｷ ﾀﾛｳ,C${n},${counterCode},箱${Math.floor(n / 100)}-${n % 100},20261101,20270531\r\n`;
}

async function writeFile(file: string, rows: number, offset: number, counterCode: string): Promise<number> {
  const chunks = (function* () {
    yield iconv.encode('通知書番号,生年月日,氏名,カナ,管理番号,交付場所,保管場所,発送日,有効期限\r\n', 'CP932');
    for (let start = 1; start <= rows; start += 1000) {
      let text = '';
      for (let n = start; n < Math.min(start + 1000, rows + 1); n += 1) text += line(n, offset, counterCode);
      yield iconv.encode(text, 'CP932');
    }
  })();
  await pipeline(Readable.from(chunks), createWriteStream(file));
  return (await stat(file)).size;
}

/** Runs `work`, sampling RSS every 10 ms; returns seconds and the peak RSS in MiB. */
async function measure(work: () => Promise<unknown>): Promise<{ seconds: number; peakMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds: (performance.now() - started) / 1000, peakMiB: peak / 1024 / 1024 };
}

async function importOnce(database: Database, dir: string, file: string, sizeBytes: number, profileId: number) {
  const storageKey = randomUUID();
  await pipeline((await import('node:fs')).createReadStream(file), createWriteStream(uploadPath(dir, storageKey)));
  const batch = await transaction(database, actor, (tx) =>
    createImportBatch(tx, { storageKey, fileName: path.basename(file), sha256: 'bench', sizeBytes, profileId, encoding: 'auto' }),
  );
  const preview = await measure(() => previewImportBatch(database, actor, batch.id, { dir, pepper: PEPPER }));
  const previewed = await database.prisma.importBatch.findUniqueOrThrow({ where: { id: batch.id } });
  const commit = await measure(async () => (await beginCommit(database, actor, batch.id, { dir, pepper: PEPPER })).done);
  return { preview, commit, counts: { created: previewed.createdCount, updated: previewed.updatedCount, unchanged: previewed.unchangedCount, errors: previewed.errorCount } };
}

/** The ceiling: the same rows (already decoded, no checks) streamed by COPY into an empty copy of card_holders. */
async function plainCopy(url: string, rows: number, offset: number, counterId: number) {
  // Its own connection: the app's pool pipelines, and pg refuses COPY on a pipelined connection.
  const client = new pg.Client(pgPoolConfig(url));
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE card_holders INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)');
    const text = (function* () {
      for (let n = 1; n <= rows; n += 1) {
        const id = String(offset + n).padStart(16, '0');
        yield `${id}\tkey${n}\t髙﨑 太郎${n}\tタカサキ タロウ\tC${n}\t${counterId}\t箱${Math.floor(n / 100)}-${n % 100}\t2026-11-01\t2027-05-31\tdata_received\t2026-11-01 00:00:00+00\n`;
      }
    })();
    return await measure(() =>
      pipeline(
        Readable.from(text),
        client.query(
          copyFrom(
            'COPY bench_copy (notice_id, birth_key, name, name_kana, card_number, counter_id, storage_place, notice_sent_on, notice_valid_until, status, updated_at) FROM STDIN',
          ),
        ),
      ),
    );
  } finally {
    await client.end();
  }
}

async function main() {
  const { url, stop } = await benchDatabase('import');
  const database = connectDatabase(url, 4);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-import-files-'));
  await mkdir(dir, { recursive: true });
  try {
    const counter = await database.prisma.counter.create({ data: { code: 'BENCH', name: 'ベンチ窓口' } });
    const profile = await database.prisma.importProfile.findFirstOrThrow();
    // Every file is written first, so the baseline holds nothing left over from writing them.
    const files = [];
    for (const [index, rows] of SIZES.entries()) {
      const file = path.join(dir, `jlis-${rows}.csv`);
      const offset = 1_000_000_000_000 + index * 10_000_000;
      files.push({ rows, file, offset, size: await writeFile(file, rows, offset, counter.code) });
    }
    const baselineMiB = process.memoryUsage.rss() / 1024 / 1024;
    console.log(`baseline RSS ${baselineMiB.toFixed(0)} MiB`);
    for (const { rows, file, offset, size } of files) {
      const first = await importOnce(database, dir, file, size, profile.id);
      const again = await importOnce(database, dir, file, size, profile.id);
      const copy = await plainCopy(url, rows, offset, counter.id);
      const rate = (seconds: number) => Math.round(rows / seconds).toLocaleString('en-US');
      console.log(`\n${rows.toLocaleString('en-US')} rows, Shift_JIS ${(size / 1024 / 1024).toFixed(1)} MiB`);
      console.log(
        `  preview (new rows)        ${first.preview.seconds.toFixed(2)} s  ${rate(first.preview.seconds)} rows/s  peak RSS ${first.preview.peakMiB.toFixed(0)} MiB  ${JSON.stringify(first.counts)}`,
      );
      console.log(`  commit  (insert + history) ${first.commit.seconds.toFixed(2)} s  ${rate(first.commit.seconds)} rows/s  peak RSS ${first.commit.peakMiB.toFixed(0)} MiB`);
      console.log(
        `  re-import preview          ${again.preview.seconds.toFixed(2)} s  ${rate(again.preview.seconds)} rows/s  peak RSS ${again.preview.peakMiB.toFixed(0)} MiB  ${JSON.stringify(again.counts)}`,
      );
      console.log(`  re-import commit           ${again.commit.seconds.toFixed(2)} s  ${rate(again.commit.seconds)} rows/s  peak RSS ${again.commit.peakMiB.toFixed(0)} MiB`);
      console.log(`  plain COPY (ceiling)       ${copy.seconds.toFixed(2)} s  ${rate(copy.seconds)} rows/s  peak RSS ${copy.peakMiB.toFixed(0)} MiB`);
      const endToEnd = first.preview.seconds + first.commit.seconds;
      const growth = Math.max(first.preview.peakMiB, first.commit.peakMiB) - baselineMiB;
      const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
      console.log(
        `  end to end (new rows)      ${endToEnd.toFixed(2)} s  ${rate(endToEnd)} rows/s  (aim >= ${AIM_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s: ${verdict(rows / endToEnd >= AIM_ROWS_PER_SECOND)}; ${((rows / endToEnd / (rows / copy.seconds)) * 100).toFixed(0)}% of the COPY ceiling)`,
      );
      console.log(`  RSS growth over baseline   +${growth.toFixed(0)} MiB at peak  (aim < ${AIM_RSS_GROWTH_MIB} MiB: ${verdict(growth < AIM_RSS_GROWTH_MIB)})`);
    }
  } finally {
    await database.close();
    await rm(dir, { recursive: true, force: true });
    await stop();
  }
}

await main();
