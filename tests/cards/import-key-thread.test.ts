// The preview's birth keys come from a thread of its own (decision 0031). Previews started at the
// same moment each get their own thread, every staged key is birthKey's, and every thread is
// closed. If a thread fails part-way through a file (here: its third batch of keys is refused),
// the preview ends as any read failure does: the batch failed with its Japanese reason, no
// staged row kept, the thread closed, and the next file previews normally.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { beginCommit, createImportBatch, previewImportBatch, uploadPath } from '../../src/features/cards/import-service.js';
import { birthKey } from '../../src/features/citizen/birth-key.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createCounter } from '../helpers/factories.js';
import { csvText, noticeIdFor, sjis } from './helpers.js';

const thread = vi.hoisted(() => ({ failOnBatch: 0, asked: 0, started: 0, closed: 0 }));
vi.mock('../../src/features/cards/birth-key-thread.js', async (original) => {
  const real = await original<typeof import('../../src/features/cards/birth-key-thread.js')>();
  return {
    startBirthKeyThread(pepper: string) {
      const started = real.startBirthKeyThread(pepper);
      thread.started += 1;
      return {
        keys(pairs: [string, string][]) {
          thread.asked += 1;
          return thread.asked === thread.failOnBatch ? Promise.reject(new Error('the birth key thread ended')) : started.keys(pairs);
        },
        async close() {
          thread.closed += 1;
          await started.close();
        },
      };
    },
  };
});

const DIR = mkdtempSync(path.join(tmpdir(), 'cards-key-thread-'));
const SETTINGS = { dir: DIR, pepper: 'key-thread-test-pepper-0123456789abcdef' };
const ACTOR = { type: 'system' as const, id: 'key-thread-test' };
let db: TestDatabase;
let counterCode: string;

beforeAll(async () => {
  db = await createTestDatabase(10);
  counterCode = (await createCounter(db, { name: '本庁舎' })).code;
});

/** A real month and day for each line, so a key made for the wrong line shows. */
const birthDateOf = (n: number) => `1980${String((n % 12) + 1).padStart(2, '0')}${String((n % 28) + 1).padStart(2, '0')}`;

async function preview(from: number, count: number) {
  const rows = Array.from({ length: count }, (_, index) => [
    noticeIdFor(from + index),
    birthDateOf(from + index),
    '試験 太郎',
    'ｼｹﾝ ﾀﾛｳ',
    'C1',
    counterCode,
    '箱1',
    '20261101',
    '20270531',
  ]);
  const bytes = sjis(csvText(rows));
  const storageKey = randomUUID();
  writeFileSync(uploadPath(DIR, storageKey), bytes);
  const profile = await db.prisma.importProfile.findFirstOrThrow({ orderBy: { id: 'asc' } });
  const batch = await transaction(db, ACTOR, (tx) =>
    createImportBatch(tx, { storageKey, fileName: 'jlis.csv', sha256: randomUUID(), sizeBytes: bytes.length, profileId: profile.id, encoding: 'auto' }),
  );
  const outcome = await previewImportBatch(db, ACTOR, batch.id, SETTINGS).then(
    () => 'done',
    () => 'threw',
  );
  return { outcome, batch: await db.prisma.importBatch.findUniqueOrThrow({ where: { id: batch.id } }) };
}

describe('import preview and its birth key thread', () => {
  it('When six files of 2,000 lines are previewed at the same moment on a pool of ten connections, then each is previewed with every staged key equal to birthKey of its own line, all six threads are closed, and all six commits started at once import their cards', async () => {
    thread.failOnBatch = 0;
    const before = { started: thread.started, closed: thread.closed };
    const results = await Promise.all(Array.from({ length: 6 }, (_, file) => preview(100_000 + file * 10_000, 2000)));
    for (const [file, { outcome, batch }] of results.entries()) {
      expect(outcome, `file ${file}`).toBe('done');
      expect(batch, `file ${file}`).toMatchObject({ status: 'previewed', createdCount: 2000, errorCount: 0, rowsRead: 2000 });
      const staged = await db.prisma.importRow.findMany({ where: { batchId: batch.id }, select: { noticeId: true, birthKey: true } });
      const expected = Array.from({ length: 2000 }, (_, index) => 100_000 + file * 10_000 + index).map((n) => ({
        noticeId: noticeIdFor(n),
        birthKey: birthKey(SETTINGS.pepper, noticeIdFor(n), birthDateOf(n).slice(4)),
      }));
      expect(
        staged.sort((a, b) => a.noticeId.localeCompare(b.noticeId)),
        `file ${file}`,
      ).toEqual(expected.sort((a, b) => a.noticeId.localeCompare(b.noticeId)));
    }
    expect(thread.started - before.started).toBe(6);
    expect(thread.closed - before.closed).toBe(6);

    const commits = await Promise.all(results.map(async ({ batch }) => (await beginCommit(db, ACTOR, batch.id, SETTINGS)).done));
    expect(commits).toEqual(Array.from({ length: 6 }, () => ({ created: 2000, updated: 0, unchanged: 0 })));
    expect(await db.prisma.importBatch.count({ where: { id: { in: results.map(({ batch }) => batch.id) }, status: 'committed' } })).toBe(6);
    expect(await db.prisma.cardHolder.count({ where: { noticeId: { gte: noticeIdFor(100_000), lt: noticeIdFor(160_000) } } })).toBe(12_000);
  });

  it('When the thread refuses the third batch of a 5,000-line file, then the batch fails with the read reason, keeps no staged row, the thread is closed, and the next file previews', async () => {
    thread.failOnBatch = 3;
    thread.asked = 0;
    const failed = await preview(1, 5000);
    expect(failed.outcome).toBe('threw');
    expect(failed.batch).toMatchObject({ status: 'failed', failure: 'cards.import.readFailed' });
    expect(await db.prisma.importRow.count({ where: { batchId: failed.batch.id } })).toBe(0);
    expect(thread.asked).toBeGreaterThanOrEqual(3);
    expect(thread.closed).toBe(thread.started);

    thread.failOnBatch = 0;
    const next = await preview(10_001, 5000);
    expect(next.outcome).toBe('done');
    expect(next.batch).toMatchObject({ status: 'previewed', createdCount: 5000, errorCount: 0, rowsRead: 5000 });
    expect(thread.closed).toBe(thread.started);
  });
});
