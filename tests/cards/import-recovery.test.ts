// Imports that survive kill -9 (issue 17.4, first part): a process that dies while previewing
// or committing a J-LIS file leaves its batch to the recovery job, which fails an interrupted
// preview and reopens an interrupted commit (its transaction rolled back, nothing was written),
// while a batch some live process is still working on is left alone.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { beginCommit, createImportBatch, previewImportBatch, uploadPath } from '../../src/features/cards/import-service.js';
import { csvText, noticeIdFor } from './helpers.js';
import { importRecoveryJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCounter } from '../helpers/factories.js';

let t: TestApp;
let profileId: number;
let dir: string;
const BATCH_WORK = 7_310_602;

beforeAll(async () => {
  t = await createTestApp();
  profileId = (await t.db.prisma.importProfile.create({ data: { name: 'recovery', columns: {} } })).id;
  dir = await mkdtemp(path.join(os.tmpdir(), 'import-recovery-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function batchIn(status: 'uploaded' | 'previewing' | 'committing' | 'previewed', createdMinutesAgo = 0): Promise<number> {
  const [{ id }] = await t.db.query<{ id: number }>(
    `INSERT INTO import_batches (storage_key, file_name, sha256, size_bytes, profile_id, status, uploaded_by, created_at)
     VALUES (gen_random_uuid()::text, 'jlis.csv', 'x', 10, $1, $2::import_batch_status, 'staff:1', now() - make_interval(mins => $3)) RETURNING id`,
    [profileId, status, createdMinutesAgo],
  );
  return id;
}

/** A separate process working on the batch the way the app does: its work lock held on its connection. */
async function workerProcess(batchId: number) {
  const script = `
    const pg = require('pg');
    const client = new pg.Client(process.env.URL);
    client.connect().then(() => client.query('SELECT pg_advisory_lock($1, $2)', [${BATCH_WORK}, ${batchId}])).then(() => console.log('working'));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, URL: t.db.url }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('working') && resolve()));
  return child;
}

const recover = () => runJob(t.db, importRecoveryJob, { config: t.context.config, now: new Date(), baseUrl: 'http://127.0.0.1', secret: 'x' });
const stateOf = async (id: number) => (await t.db.query<{ status: string; failure: string }>(`SELECT status::text AS status, failure FROM import_batches WHERE id = $1`, [id]))[0];

describe('imports after kill -9', () => {
  it('When the processes working on a preview and a commit are killed with SIGKILL, then recovery fails the preview and reopens the commit; batches still worked on, or just uploaded, are left alone', async () => {
    const [previewing, committing, alive, justUploaded, longUploaded] = await Promise.all([
      batchIn('previewing'),
      batchIn('committing'),
      batchIn('committing'),
      batchIn('uploaded'),
      batchIn('uploaded', 10),
    ]);
    const [dying1, dying2, living] = await Promise.all([workerProcess(previewing), workerProcess(committing), workerProcess(alive)]);
    // Five recoveries at once: one runs, the others find its lock taken; none touches a batch still worked on.
    const runs = await Promise.all(Array.from({ length: 5 }, () => recover()));
    expect(runs.filter((run) => run.status === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(runs.every((run) => run.status === 'ok' || run.status === 'skipped')).toBe(true);
    expect(await stateOf(previewing)).toEqual({ status: 'previewing', failure: '' });
    expect(await stateOf(committing)).toEqual({ status: 'committing', failure: '' });

    for (const child of [dying1, dying2]) child.kill('SIGKILL');
    await Promise.all([dying1, dying2].map((child) => new Promise((resolve) => child.once('exit', resolve))));
    await expect
      .poll(async () => {
        await recover();
        return [(await stateOf(previewing)).status, (await stateOf(committing)).status];
      })
      .toEqual(['failed', 'previewed']);
    expect(await stateOf(previewing)).toEqual({ status: 'failed', failure: 'cards.import.interruptedPreview' });
    expect(await stateOf(committing)).toEqual({ status: 'previewed', failure: 'cards.import.interruptedCommit' });
    expect(await stateOf(alive)).toEqual({ status: 'committing', failure: '' });
    expect(await stateOf(justUploaded)).toEqual({ status: 'uploaded', failure: '' });
    expect(await stateOf(longUploaded)).toEqual({ status: 'failed', failure: 'cards.import.interruptedPreview' });

    living.kill('SIGKILL');
  });

  it('When the real import process is killed with SIGKILL in the middle of its preview and then of its commit, then the preview fails, the commit is reopened with no card written, and committing it again imports every row', async () => {
    const rows = 100_000;
    const source = path.join(dir, 'jlis.csv');
    const { code } = await createCounter(t.db, { name: '本庁舎' });
    const line = (i: number) => [noticeIdFor(i + 1), '19800401', `試験 ${i}`, 'ｼｹﾝ ﾀﾛｳ', `C${i}`, code, `箱${i % 100}`, '20261101', '20270531'];
    await writeFile(source, csvText(Array.from({ length: rows }, (_, i) => line(i))));
    const { id: defaultProfile } = await t.db.prisma.importProfile.findFirstOrThrow({ where: { NOT: { id: profileId } }, orderBy: { id: 'asc' } });
    const newBatch = async () => {
      const key = randomUUID();
      await copyFile(source, uploadPath(dir, key));
      const batch = await transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
        createImportBatch(tx, { storageKey: key, fileName: 'jlis.csv', sha256: 'x', sizeBytes: 1, profileId: defaultProfile, encoding: 'auto' }),
      );
      return batch.id;
    };
    const killedWhile = async (batchId: number, mode: 'preview' | 'commit', under: (state: { status: string; rows: number }) => boolean) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/import-worker.fixture.ts'], {
        env: { ...process.env, URL: t.db.url, DIR: dir, BATCH: String(batchId), MODE: mode },
        stdio: 'inherit',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await expect
        .poll(
          async () =>
            under((await t.db.query<{ status: string; rows: number }>(`SELECT status::text AS status, rows_read AS rows FROM import_batches WHERE id = $1`, [batchId]))[0]),
          {
            timeout: 30_000,
            interval: 20,
          },
        )
        .toBe(true);
      child.kill('SIGKILL');
      await exited;
    };
    const recovered = async (batchId: number, status: string) => {
      await expect
        .poll(async () => {
          await recover();
          return (await stateOf(batchId)).status;
        })
        .toBe(status);
    };

    const previewed = await newBatch();
    await killedWhile(previewed, 'preview', (state) => state.status === 'previewing' && state.rows > 5_000);
    await recovered(previewed, 'failed');
    expect(await stateOf(previewed)).toEqual({ status: 'failed', failure: 'cards.import.interruptedPreview' });
    expect(await t.db.prisma.importRow.count({ where: { batchId: previewed } })).toBe(0);

    const committed = await newBatch();
    const settings = { dir, pepper: 'import-worker-pepper-0123456789abcdef0123' };
    await previewImportBatch(t.db, { type: 'system', id: 'test' }, committed, settings);
    await killedWhile(committed, 'commit', (state) => state.status === 'committing');
    await recovered(committed, 'previewed');
    expect(await stateOf(committed)).toEqual({ status: 'previewed', failure: 'cards.import.interruptedCommit' });
    expect(await t.db.prisma.cardHolder.count()).toBe(0);
    await (
      await beginCommit(t.db, { type: 'system', id: 'test' }, committed, settings)
    ).done;
    expect(await t.db.prisma.cardHolder.count()).toBe(rows);
  }, 120_000);
});
