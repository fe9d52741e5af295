// The import commit inserts new card holders and their history with PostgreSQL's per-row
// foreign-key triggers off for that one statement (insertCreated, decision 0030). These tests
// hold it to what makes that safe: no other trigger to skip, the setting back right after, the
// counters locked against a concurrent delete, and the ordinary path where the role may not.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { pgPoolConfig } from '../../src/db/pool-config.js';
import { transaction } from '../../src/db/transaction.js';
import { beginCommit, createImportBatch, previewImportBatch, uploadPath } from '../../src/features/cards/import-service.js';
import { TEST_SECRETS, createTestApp, type TestApp } from '../helpers/app.js';
import { waitUntilBlockedBy } from '../helpers/db.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { commit, csvText, noticeIdFor, settled, sjis, uploadOk, type Agent } from './helpers.js';

const IMPORT_DIR = mkdtempSync(path.join(tmpdir(), 'cards-import-keys-'));
const SETTINGS = { dir: IMPORT_DIR, pepper: TEST_SECRETS.birthDatePepper };
const ACTOR = { type: 'system' as const, id: 'import-keys-test' };
const suffix = randomBytes(4).toString('hex');
/** A role like the app's own on a server that has not granted it session_replication_role. */
const PLAIN = { user: `importer_${suffix}`, password: `pw-${suffix}-importer` };

let t: TestApp;
let agent: Agent;
let counterCode: string;
let plain: Database | undefined;
/** Connections a test opened beside the app's pool; ending them rolls back what a failed test left open. */
const opened: pg.Client[] = [];

beforeAll(async () => {
  t = await createTestApp({ IMPORT_DIR });
  counterCode = (await createCounter(t.db, { name: '本庁舎' })).code;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  agent = await staffAgent(t.app, user.loginId, password);
});

afterEach(async () => {
  for (const client of opened.splice(0)) await client.end();
});

afterAll(async () => {
  await plain?.close();
  await t.db.pool.query(`DROP OWNED BY ${PLAIN.user}; DROP ROLE ${PLAIN.user}`).catch(() => {});
});

const row = (n: number, counter = counterCode) => [noticeIdFor(n), '19800401', `試験 ${n % 100}`, 'ｼｹﾝ ﾀﾛｳ', `C${n % 100}`, counter, `箱${n % 100}`, '20261101', '20270531'];

async function previewed(rows: string[][]): Promise<number> {
  const batchId = await uploadOk(agent, sjis(csvText(rows)));
  expect(await settled(t.db, batchId)).toMatchObject({ status: 'previewed', errorCount: 0 });
  return batchId;
}

/** A connection of its own to the test database, outside the app's pool. */
async function connection(): Promise<pg.Client> {
  const client = new pg.Client(pgPoolConfig(t.db.url));
  await client.connect();
  opened.push(client);
  return client;
}

/** Resolves once backend `pid` waits for a lock; fails if `statement` ends first or nothing waits in time. */
async function waitUntilWaiting(pid: number, statement: Promise<unknown>, deadlineMs = 10_000): Promise<void> {
  let ended = false;
  statement.then(
    () => (ended = true),
    () => (ended = true),
  );
  const until = Date.now() + deadlineMs;
  while (Date.now() < until && !ended) {
    const [state] = await t.db.query<{ waiting: boolean }>(`SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`, [pid]);
    if (state?.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(ended ? `backend ${pid} finished its statement without waiting for a lock` : `backend ${pid} did not wait for a lock within ${deadlineMs} ms`);
}

const pid = async (client: pg.ClientBase) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

/**
 * Records session_replication_role as each statement that inserts into card_status_changes sees
 * it (a trigger that fires in replica mode too); returns what it saw, in order, and removes itself.
 */
async function replicationRoleSeen(work: () => Promise<unknown>): Promise<string[]> {
  await t.db.pool.query(`
    CREATE TABLE test_role_seen (seq serial PRIMARY KEY, setting text NOT NULL);
    CREATE FUNCTION test_record_role() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS
      $$ BEGIN INSERT INTO test_role_seen (setting) VALUES (current_setting('session_replication_role')); RETURN NULL; END $$;
    CREATE TRIGGER test_record_role AFTER INSERT ON card_status_changes FOR EACH STATEMENT EXECUTE FUNCTION test_record_role();
    ALTER TABLE card_status_changes ENABLE ALWAYS TRIGGER test_record_role;`);
  try {
    await work();
    return (await t.db.query<{ setting: string }>('SELECT setting FROM test_role_seen ORDER BY seq')).map((seen) => seen.setting);
  } finally {
    await t.db.pool.query('DROP TRIGGER test_record_role ON card_status_changes; DROP FUNCTION test_record_role(); DROP TABLE test_role_seen');
  }
}

/** Uploads and previews a file by the import service itself, as `database` connects (bench/import.ts does the same). */
async function previewDirect(database: Database, rows: string[][]): Promise<number> {
  const storageKey = randomUUID();
  const bytes = sjis(csvText(rows));
  writeFileSync(uploadPath(IMPORT_DIR, storageKey), bytes);
  const profile = await t.db.prisma.importProfile.findFirstOrThrow({ orderBy: { id: 'asc' } });
  const batch = await transaction(database, ACTOR, (tx) =>
    createImportBatch(tx, { storageKey, fileName: 'jlis.csv', sha256: randomUUID(), sizeBytes: bytes.length, profileId: profile.id, encoding: 'auto' }),
  );
  await previewImportBatch(database, ACTOR, batch.id, SETTINGS);
  expect(await t.db.prisma.importBatch.findUniqueOrThrow({ where: { id: batch.id } })).toMatchObject({ status: 'previewed', errorCount: 0 });
  return batch.id;
}

/** The cards of `noticeIds` with their history, without what differs from one import to the next (ids, keys, times, batch). */
async function cardsOf(noticeIds: string[], batchId: number) {
  const holders = await t.db.prisma.cardHolder.findMany({ where: { noticeId: { in: noticeIds } }, orderBy: { noticeId: 'asc' }, include: { statusChanges: true } });
  return holders.map(({ name, nameKana, cardNumber, counterId, storagePlace, noticeSentOn, noticeValidUntil, status, statusChanges }) => ({
    ...{ name, nameKana, cardNumber, counterId, storagePlace, noticeSentOn, noticeValidUntil, status },
    history: statusChanges.map((change) => ({ from: change.fromStatus, to: change.toStatus, actor: change.actor, reason: change.reason.replace(String(batchId), '#') })),
  }));
}

describe('J-LIS import commit without row triggers', () => {
  it('When the tables the commit inserts into are inspected, then their only triggers are the foreign-key checks PostgreSQL makes itself', async () => {
    const own = await t.db.query<{ table: string; name: string }>(
      `SELECT tgrelid::regclass::text AS table, tgname AS name FROM pg_trigger
        WHERE tgrelid IN ('card_holders'::regclass, 'card_status_changes'::regclass) AND NOT tgisinternal`,
    );
    expect(
      own,
      'insertCreated (src/features/cards/import-service.ts) turns triggers off for its insert into these tables (session_replication_role = replica), ' +
        'so a trigger added to them would not fire for imported cards: handle it there (decision 0030)',
    ).toEqual([]);
    const internal = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_trigger WHERE tgrelid IN ('card_holders'::regclass, 'card_status_changes'::regclass) AND tgisinternal`,
    );
    expect(internal[0].count).toBeGreaterThan(0); // the keys are declared: their checks are the triggers skipped
  });

  it('When a batch is committed, then only its insert of new cards runs with triggers off, and every pooled connection checks foreign keys again afterwards', async () => {
    const existing = await previewed([row(10)]);
    await commit(agent, t.db, existing);
    const moved = row(10);
    moved[6] = '箱-移動';
    const batchId = await previewed([row(11), moved]);
    const seen = await replicationRoleSeen(async () => expect(await commit(agent, t.db, batchId)).toMatchObject({ status: 'committed', createdCount: 1, updatedCount: 1 }));
    // the insert of the new card's history, then the history of the updated card, in the same transaction
    expect(seen).toEqual(['replica', 'origin']);

    const clients = await Promise.all(Array.from({ length: t.db.pool.options.max }, () => t.db.pool.connect()));
    try {
      for (const client of clients) {
        expect((await client.query('SHOW session_replication_role')).rows[0].session_replication_role).toBe('origin');
        const orphan = client.query(`INSERT INTO card_status_changes (card_holder_id, to_status, reason, actor) VALUES (2147483647, 'data_received', 'test', 'test')`);
        await expect(orphan).rejects.toMatchObject({ code: '23503' });
      }
    } finally {
      for (const client of clients) client.release();
    }
  });

  it('When a counter the batch names is deleted while the commit waits for it, then the commit is refused and writes nothing', async () => {
    const counter = await createCounter(t.db, { name: '廃止予定' });
    const batchId = await previewed([row(20), row(21, counter.code)]);
    const deleter = await connection();
    await deleter.query('BEGIN');
    await deleter.query('DELETE FROM counters WHERE id = $1', [counter.id]);
    const historyBefore = await t.db.prisma.cardStatusChange.count();
    const committed = commit(agent, t.db, batchId);
    await waitUntilBlockedBy(t.db, deleter);
    await deleter.query('COMMIT');
    expect(await committed).toMatchObject({ status: 'previewed', failure: 'cards.import.hasErrors' });
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: { in: [noticeIdFor(20), noticeIdFor(21)] } } })).toBe(0);
    expect(await t.db.prisma.cardStatusChange.count()).toBe(historyBefore);
  });

  it('When a counter the batch names is deleted while the commit is under way, then the delete waits for the commit and the new cards never name a missing counter', async () => {
    const counter = await createCounter(t.db, { name: '統合予定' });
    const batchId = await previewed([row(30, counter.code), row(31, counter.code)]);
    // Someone else is adding notice 31: the commit's insert waits on its unique index, after the counters were checked.
    const blocker = await connection();
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO card_holders (notice_id, birth_key, updated_at) VALUES ($1, 'other', now())`, [noticeIdFor(31)]);
    const committed = commit(agent, t.db, batchId);
    await waitUntilBlockedBy(t.db, blocker);

    const deleter = await connection();
    const deleterPid = await pid(deleter);
    const deletion = deleter.query('DELETE FROM counters WHERE id = $1', [counter.id]);
    await waitUntilWaiting(deleterPid, deletion);
    await blocker.query('ROLLBACK');
    expect(await committed).toMatchObject({ status: 'committed', createdCount: 2 });
    // The delete goes through once the commit ends: card_holders.counter_id is ON DELETE SET NULL, and it sees the new cards.
    await deletion;
    expect(await t.db.prisma.cardHolder.findMany({ where: { noticeId: { in: [noticeIdFor(30), noticeIdFor(31)] } }, select: { counterId: true } })).toEqual([
      { counterId: null },
      { counterId: null },
    ]);
    const orphans = await t.db.query(`SELECT id FROM card_holders h WHERE counter_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM counters c WHERE c.id = h.counter_id)`);
    expect(orphans).toEqual([]);
  });

  it('When the app’s role may not set session_replication_role, then the commit runs with the checks on and imports the same cards and history; granted it, the role takes the fast path', async () => {
    await t.db.pool.query(`
      CREATE ROLE ${PLAIN.user} LOGIN NOSUPERUSER PASSWORD '${PLAIN.password}';
      GRANT USAGE ON SCHEMA public TO ${PLAIN.user};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${PLAIN.user};
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${PLAIN.user};`);
    const url = new URL(t.db.url);
    url.username = PLAIN.user;
    url.password = PLAIN.password;
    const restricted = connectDatabase(url.toString(), 5);
    plain = restricted;
    expect(await restricted.query(`SELECT has_parameter_privilege('session_replication_role', 'SET') AS may`)).toEqual([{ may: false }]);

    const rows = (base: number) => [row(base + 1), row(base + 2), row(base + 3)];
    const ids = (base: number) => [1, 2, 3].map((n) => noticeIdFor(base + n));
    const fastBatch = await previewDirect(t.db, rows(100));
    expect(await replicationRoleSeen(async () => (await beginCommit(t.db, ACTOR, fastBatch, SETTINGS)).done)).toEqual(['replica', 'origin']);
    const plainBatch = await previewDirect(restricted, rows(200));
    expect(await replicationRoleSeen(async () => (await beginCommit(restricted, ACTOR, plainBatch, SETTINGS)).done)).toEqual(['origin', 'origin']);
    const fast = await cardsOf(ids(100), fastBatch);
    expect(fast).toHaveLength(3);
    expect(fast[0].history).toHaveLength(1);
    expect(await cardsOf(ids(200), plainBatch)).toEqual(fast);

    const closing = await createCounter(t.db, { name: '閉鎖予定' });
    const refused = await previewDirect(restricted, [row(301), row(302, closing.code)]);
    await t.db.prisma.counter.update({ where: { id: closing.id }, data: { retiredAt: new Date() } });
    await expect((await beginCommit(restricted, ACTOR, refused, SETTINGS)).done).rejects.toMatchObject({ messageKey: 'cards.import.hasErrors' });
    expect(await t.db.prisma.importBatch.findUniqueOrThrow({ where: { id: refused } })).toMatchObject({ status: 'previewed', failure: 'cards.import.hasErrors' });
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: { in: [noticeIdFor(301), noticeIdFor(302)] } } })).toBe(0);

    // The grant docs/operations.md asks of production puts the same role on the fast path.
    await t.db.pool.query(`GRANT SET ON PARAMETER session_replication_role TO ${PLAIN.user}`);
    const granted = await previewDirect(restricted, rows(400));
    expect(await replicationRoleSeen(async () => (await beginCommit(restricted, ACTOR, granted, SETTINGS)).done)).toEqual(['replica', 'origin']);
    expect(await cardsOf(ids(400), granted)).toEqual(fast);
  });
});
