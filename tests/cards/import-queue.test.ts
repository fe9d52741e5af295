// Imports run one at a time in each process (docs/decisions/0020), so an upload may wait in line
// behind another import. The recovery job fails an upload whose preview never started after two
// minutes, since its process died; an upload still waiting in a live process says so
// (import_batches.waiting_seen_at) and is left alone however long it waits (issue 17.4).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { createImportBatch, previewImportBatch, uploadPath } from '../../src/features/cards/import-service.js';
import { importRecoveryJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCounter } from '../helpers/factories.js';
import { csvText, noticeIdFor, sjis } from './helpers.js';

// The first preview holds its turn until the test lets its birth keys be made.
const gate = vi.hoisted(() => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
});
vi.mock('../../src/features/cards/birth-key-thread.js', async (original) => {
  const real = await original<typeof import('../../src/features/cards/birth-key-thread.js')>();
  return {
    startBirthKeyThread(pepper: string) {
      const started = real.startBirthKeyThread(pepper);
      return {
        keys: async (pairs: [string, string][]) => (await gate.opened, started.keys(pairs)),
        close: () => started.close(),
      };
    },
  };
});

const DIR = mkdtempSync(path.join(tmpdir(), 'cards-import-queue-'));
const SETTINGS = { dir: DIR, pepper: 'import-queue-test-pepper-0123456789abcdef' };
const ACTOR = { type: 'system' as const, id: 'import-queue-test' };
let t: TestApp;
let counterCode: string;

beforeAll(async () => {
  t = await createTestApp();
  counterCode = (await createCounter(t.db, { name: '本庁舎' })).code;
});

async function upload(from: number): Promise<number> {
  const rows = Array.from({ length: 5 }, (_, index) => [noticeIdFor(from + index), '19800401', '試験 太郎', 'ｼｹﾝ ﾀﾛｳ', 'C1', counterCode, '箱1', '20261101', '20270531']);
  const bytes = sjis(csvText(rows));
  const storageKey = randomUUID();
  writeFileSync(uploadPath(DIR, storageKey), bytes);
  const profile = await t.db.prisma.importProfile.findFirstOrThrow({ orderBy: { id: 'asc' } });
  const batch = await transaction(t.db, ACTOR, (tx) =>
    createImportBatch(tx, { storageKey, fileName: 'jlis.csv', sha256: randomUUID(), sizeBytes: bytes.length, profileId: profile.id, encoding: 'auto' }),
  );
  return batch.id;
}

const batchOf = async (id: number) =>
  (
    await t.db.query<{ status: string; failure: string; seen: Date | null }>(`SELECT status::text AS status, failure, waiting_seen_at AS seen FROM import_batches WHERE id = $1`, [
      id,
    ])
  )[0];
const recover = () => runJob(t.db, importRecoveryJob, { config: t.context.config, now: new Date(), baseUrl: 'http://127.0.0.1', secret: 'x' });

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i += 1) await sleep(10);
  expect(await check()).toBe(true);
}

describe('an upload waiting in line for its preview', () => {
  it('When uploads have waited ten minutes behind another import in a live process, then the recovery leaves them waiting and each is previewed in its turn; uploads no live process waits for are failed as before', async () => {
    const running = await upload(100);
    const waiting = [await upload(200), await upload(300), await upload(400)];
    const first = previewImportBatch(t.db, ACTOR, running, SETTINGS);
    await until(async () => (await batchOf(running)).status === 'previewing');
    const rest = waiting.map((id) => previewImportBatch(t.db, ACTOR, id, SETTINGS));
    await until(async () => (await Promise.all(waiting.map(batchOf))).every((batch) => batch.seen !== null));
    // Ten minutes in line: uploaded long ago, their process said a moment ago that they still wait.
    await t.db.query(`UPDATE import_batches SET created_at = now() - interval '10 minutes' WHERE id = ANY($1::int[])`, [waiting]);
    // Uploads whose process died: one that never said it waited, one that stopped saying so three minutes ago.
    const [silent, lapsed] = [await upload(500), await upload(600)];
    await t.db.query(`UPDATE import_batches SET created_at = now() - interval '10 minutes' WHERE id = ANY($1::int[])`, [[silent, lapsed]]);
    await t.db.query(`UPDATE import_batches SET waiting_seen_at = now() - interval '3 minutes' WHERE id = $1`, [lapsed]);

    await Promise.all([recover(), recover(), recover()]);
    for (const id of waiting) expect(await batchOf(id)).toMatchObject({ status: 'uploaded', failure: '' });
    // Work that had its turn at once never wrote that it waits.
    expect(await batchOf(running)).toMatchObject({ status: 'previewing', seen: null });
    expect(await batchOf(silent)).toMatchObject({ status: 'failed', failure: 'cards.import.interruptedPreview' });
    expect(await batchOf(lapsed)).toMatchObject({ status: 'failed', failure: 'cards.import.interruptedPreview' });

    gate.open();
    await Promise.all([first, ...rest]);
    expect(await batchOf(running)).toMatchObject({ status: 'previewed' });
    for (const id of waiting) {
      expect(await batchOf(id)).toMatchObject({ status: 'previewed', failure: '' });
      expect((await t.db.prisma.importBatch.findUniqueOrThrow({ where: { id } })).createdCount).toBe(5);
    }
  });
});
