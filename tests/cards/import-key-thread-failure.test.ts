// The preview's birth keys come from a thread of its own (decision 0031). If that thread fails
// part-way through a file (here: its third batch of keys is refused), the preview must end as
// any read failure does: the batch failed with its Japanese reason, no staged row kept, the
// thread closed, and the next file previews normally.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { createImportBatch, previewImportBatch, uploadPath } from '../../src/features/cards/import-service.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createCounter } from '../helpers/factories.js';
import { csvText, noticeIdFor, sjis } from './helpers.js';

const thread = vi.hoisted(() => ({ failOnBatch: 0, asked: 0, closed: 0 }));
vi.mock('../../src/features/cards/birth-key-thread.js', async (original) => {
  const real = await original<typeof import('../../src/features/cards/birth-key-thread.js')>();
  return {
    startBirthKeyThread(pepper: string) {
      const started = real.startBirthKeyThread(pepper);
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
  db = await createTestDatabase(4);
  counterCode = (await createCounter(db, { name: '本庁舎' })).code;
});

async function preview(from: number, count: number) {
  const rows = Array.from({ length: count }, (_, index) => [noticeIdFor(from + index), '19800401', '試験 太郎', 'ｼｹﾝ ﾀﾛｳ', 'C1', counterCode, '箱1', '20261101', '20270531']);
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

describe('import preview when the birth key thread fails', () => {
  it('When the thread refuses the third batch of a 5,000-line file, then the batch fails with the read reason, keeps no staged row, the thread is closed, and the next file previews', async () => {
    thread.failOnBatch = 3;
    const failed = await preview(1, 5000);
    expect(failed.outcome).toBe('threw');
    expect(failed.batch).toMatchObject({ status: 'failed', failure: 'cards.import.readFailed' });
    expect(await db.prisma.importRow.count({ where: { batchId: failed.batch.id } })).toBe(0);
    expect(thread.asked).toBeGreaterThanOrEqual(3);
    expect(thread.closed).toBe(1);

    thread.failOnBatch = 0;
    const next = await preview(10_001, 5000);
    expect(next.outcome).toBe('done');
    expect(next.batch).toMatchObject({ status: 'previewed', createdCount: 5000, errorCount: 0, rowsRead: 5000 });
    expect(thread.closed).toBe(2);
  });
});
