// Contract-end erasure (issue 19.3): through the operator's own database role, never the app's,
// every personal datum goes, the audit log's too; a scan of every text and JSON column of every
// table (read from information_schema, so a new table is scanned too) finds none left; a
// certificate says what went, how many rows, when and by whom. Without the database's name as
// confirmation nothing happens; bad input gets a Japanese message.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { birthKey } from '../../src/features/citizen/birth-key.js';
import { checkEraseArgs, runErasure, type EraseOptions } from '../../src/features/retention/erase-command.js';
import { eraseAllPersonalData, ERASED_TABLES, KEPT_TABLES } from '../../src/features/retention/erasure.js';
import { createEraserLogin } from '../../src/features/retention/eraser-role.js';
import { translator } from '../../src/lib/i18n.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { signedInStaff, staffAgent } from '../helpers/staff.js';
import { citizenLogin } from '../citizen/citizen-agent.js';

let t: TestApp;
const suffix = randomBytes(4).toString('hex');
const ERASER = { user: `eraser_${suffix}`, password: '' };
const OUTSIDER = { user: `outsider_${suffix}`, password: `pw-${suffix}-outsider` };
const opened: Database[] = [];

/** A connection to the test database as another role. */
function connectAs(role: { user: string; password: string }): Database {
  const url = new URL(t.db.url);
  url.username = role.user;
  url.password = role.password;
  const database = connectDatabase(url.toString(), 2);
  opened.push(database);
  return database;
}

beforeAll(async () => {
  t = await createTestApp();
  ERASER.password = await createEraserLogin(t.db, ERASER.user);
  // A role with every right on every table that is not the erasure role: what the app's own role is.
  await t.db.pool.query(`CREATE ROLE ${OUTSIDER.user} LOGIN PASSWORD '${OUTSIDER.password}'`);
  await t.db.pool.query(`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO ${OUTSIDER.user}`);
});

afterAll(async () => {
  for (const database of opened) await database.close();
  for (const role of [ERASER.user, OUTSIDER.user]) await t.db.pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => {});
});

const NAME = '消去 花子';
const KANA = 'ショウキョ ハナコ';
const EMAIL = 'erase-me@example.jp';
const PHONE = '09087654321';
const IP = '203.0.113.77';

/** Personal data in every place the app keeps it, through its pages where that is quick, else as the features write it. */
async function plantPersonalData() {
  const run = randomBytes(4).toString('hex');
  const noticeId = Array.from(randomBytes(12), (byte) => String(byte % 10)).join('');
  const key = birthKey(TEST_SECRETS.birthDatePepper, noticeId, '0401');
  const personKey = `person-key-${run}`;
  const counter = await createCounter(t.db);
  const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(todayInJapan(), 3) });
  const holder = await t.db.prisma.cardHolder.create({ data: { noticeId, birthKey: key, name: NAME, nameKana: KANA, counterId: counter.id, status: 'booked' } });
  await t.db.prisma.cardStatusChange.create({ data: { cardHolderId: holder.id, toStatus: 'booked', reason: `電話 ${PHONE}`, actor: 'staff:1' } });
  const applicant = await t.db.prisma.applicant.create({ data: { personKey, nameKana: KANA, phone: PHONE, birthKey: `applicant-${key}` } });
  const booking = await t.db.prisma.booking.create({
    data: { code: `E${run}`.toUpperCase(), slotId: slot.id, cardHolderId: holder.id, channel: 'web', email: EMAIL, createdBy: 'citizen:1' },
  });
  await t.db.prisma.booking.create({
    data: { code: `A${run}`.toUpperCase(), slotId: slot.id, applicantId: applicant.id, procedureCode: 'pickup', channel: 'phone', email: EMAIL, createdBy: 'staff:1' },
  });
  await t.db.prisma.ticket.create({
    data: {
      counterId: counter.id,
      date: slot.date,
      kind: 'booked',
      seq: 1,
      number: 'A-001',
      bookingId: booking.id,
      procedureCode: 'pickup',
      token: `token-${run}`,
      issuedBy: 'staff:1',
    },
  });
  const mail = await t.db.prisma.outboxMessage.create({
    data: { dedupeKey: `erase:${run}`, kind: 'booking.confirmation', toAddress: EMAIL, subject: `${NAME} 様`, textBody: noticeId, bookingId: booking.id },
  });
  await t.db.prisma.mailAttempt.create({ data: { outboxMessageId: mail.id, outcome: 'permanent', error: `550 ${EMAIL} unknown` } });
  await t.db.prisma.emailVerification.create({ data: { email: EMAIL, procedureCode: 'pickup', sessionNonce: 'n', codeHash: 'h', expiresAt: new Date(Date.now() + 60_000) } });
  await t.db.prisma.slotHold.create({ data: { slotId: slot.id, applicantId: applicant.id, expiresAt: new Date(Date.now() + 60_000) } });
  await t.db.prisma.citizenLoginThrottle.create({ data: { key: `ip:${IP}:${run}`, failures: 1 } });
  await t.db.prisma.alert.create({
    data: { kind: 'outbox_backlog', subjectKey: `mail:${EMAIL}`, summary: 's', acknowledgedAt: new Date(), acknowledgedBy: EMAIL, acknowledgedVia: 'mail', acknowledgementIp: IP },
  });
  await t.db.prisma.jobRun.create({ data: { job: 'reminders', status: 'failed', error: `could not mail ${EMAIL}` } });
  const profile = await t.db.prisma.importProfile.create({ data: { name: `profile-${run}`, columns: {} } });
  const batch = await t.db.prisma.importBatch.create({
    data: { storageKey: `k-${run}`, fileName: `${NAME}.csv`, sha256: 'x', sizeBytes: 1, profileId: profile.id, uploadedBy: 'staff:1' },
  });
  await t.db.prisma.importRow.create({ data: { batchId: batch.id, line: 1, noticeId, birthKey: key, name: NAME, nameKana: KANA } });
  // A row written before search texts were keyed (issue 19.5): the audit log held them in clear.
  await t.db.pool.query(`INSERT INTO audit_logs (actor_type, actor_id, action, detail, ip) VALUES ('staff', '1', 'console.search', $1, $2)`, [
    JSON.stringify({ query: EMAIL, noticeId }),
    IP,
  ]);
  // Through the app: a citizen's log-in, a clerk's log-in (a session row), searches and views.
  expect((await citizenLogin(t.app, noticeId, '0401')).response.status).toBe(303);
  const { user: clerk, password } = await createStaff(t.db, { role: 'staff' });
  const agent = await staffAgent(t.app, clerk.loginId, password);
  await agent.get('/staff/cards').query({ q: noticeId });
  await agent.get(`/staff/cards/${holder.id}`);
  return { noticeId, birthKey: key, personKey, staffLogin: clerk.loginId, ticketToken: `token-${run}` };
}

const TEXT_TYPES = ['text', 'character varying', 'character', 'json', 'jsonb'];

/** Every (table, column, datum) where a datum shows in a text, JSON or text-array column of any table. */
async function findPersonalData(data: string[]): Promise<string[]> {
  const { rows: columns } = await t.db.pool.query<{ table: string; column: string }>(
    `SELECT c.table_name AS table, c.column_name AS column FROM information_schema.columns c
       JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public' AND (c.data_type = ANY($1::text[]) OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')))`,
    [TEXT_TYPES],
  );
  const found: string[] = [];
  for (const { table, column } of columns) {
    const { rows } = await t.db.pool.query<{ datum: string }>(
      `SELECT d AS datum FROM unnest($1::text[]) d WHERE EXISTS (SELECT 1 FROM "${table}" WHERE strpos(lower("${column}"::text), lower(d)) > 0)`,
      [data],
    );
    for (const { datum } of rows) found.push(`${table}.${column}: ${datum}`);
  }
  return found;
}

const options = (overrides: Partial<EraseOptions> = {}): EraseOptions => ({
  operator: '運用 太郎(保守ベンダー)',
  outDir: '.',
  confirm: null,
  user: ERASER.user,
  password: ERASER.password,
  ...overrides,
});
const printer = () => {
  const lines = { log: [] as string[], error: [] as string[] };
  return { lines, print: { log: (line: string) => lines.log.push(line), error: (line: string) => lines.error.push(line) } };
};
const databaseName = () => new URL(t.db.url).pathname.slice(1);

describe('contract-end erasure', () => {
  it('When the sources are read, then only the operator command reaches the erasure: no page, job or service of the app imports it', async () => {
    const importers: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'generated') await walk(full);
        else if (entry.name.endsWith('.ts') && /from '[./]+(retention\/)?(erasure|erase-command)\.js'/.test(await readFile(full, 'utf8')))
          importers.push(path.relative('src', full));
      }
    };
    await walk('src');
    expect(importers.sort()).toEqual([
      'features/retention/certificate.ts',
      'features/retention/cli/erase.ts',
      'features/retention/erase-command.ts',
      'features/retention/eraser-role.ts',
    ]);
  });

  it('When the operator asks for a login with a bad or taken name, then it is refused in Japanese and nothing is made', async () => {
    for (const name of ['Robert"; DROP TABLE bookings; --', 'a\u0000b', 'x'.repeat(60), '9lives', ''])
      await expect(createEraserLogin(t.db, name)).rejects.toMatchObject({ messageKey: 'erasure.role.name' });
    await expect(createEraserLogin(t.db, ERASER.user)).rejects.toMatchObject({ messageKey: 'erasure.role.exists' });
    expect((await t.db.pool.query(`SELECT 1 FROM pg_roles WHERE rolname IN ('9lives', 'robert')`)).rowCount).toBe(0);
  });

  it('When the tables are listed from information_schema, then each is either erased or kept for a stated reason', async () => {
    const { rows } = await t.db.pool.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const classified = new Set<string>([...ERASED_TABLES, ...Object.keys(KEPT_TABLES)]);
    expect(rows.map((row) => row.name).filter((name) => !classified.has(name))).toEqual([]);
    // The certificate and the command name each table in Japanese: a new table needs its label.
    const label = translator();
    expect([...classified].filter((name) => label(`data.tables.${name}`).startsWith('data.tables.'))).toEqual([]);
  });

  it("When the app's own kind of role (every right on every table, not the erasure role) tries, then the audit log refuses it and the erasure is refused in Japanese", async () => {
    await t.db.pool.query(`INSERT INTO audit_logs (actor_type, actor_id, action, ip) VALUES ('staff', '1', 'staff.login', $1)`, [IP]);
    const outsider = connectAs(OUTSIDER);
    await expect(outsider.query(`DELETE FROM audit_logs`)).rejects.toThrow(/append-only/);
    await expect(outsider.query(`TRUNCATE audit_logs`)).rejects.toThrow(/append-only|permission denied/);
    await expect(outsider.query(`SET ROLE personal_data_eraser`)).rejects.toThrow(/permission denied/);
    await expect(eraseAllPersonalData(outsider, 'x')).rejects.toMatchObject({ messageKey: 'erasure.refused.notEraser' });
    const { lines, print } = printer();
    expect(await runErasure(options({ ...OUTSIDER, confirm: databaseName() }), t.db.url, print)).toBe(1);
    expect(lines.error.join('\n')).toContain('消去用ロール personal_data_eraser のメンバーではない');
    expect(await t.db.prisma.auditLog.count()).toBeGreaterThan(0);
  });

  it('When the operator leaves out the confirmation or gives another name, then it shows what would go and erases nothing', async () => {
    await plantPersonalData();
    const before = await t.db.prisma.cardHolder.count();
    const unconfirmed = printer();
    expect(await runErasure(options(), t.db.url, unconfirmed.print)).toBe(2);
    expect(unconfirmed.lines.log.join('\n')).toMatch(/交付対象者 \(card_holders\): [1-9]/);
    expect(unconfirmed.lines.error.join('\n')).toContain(`--confirm ${databaseName()} を付けて`);
    const wrong = printer();
    expect(await runErasure(options({ confirm: 'another_database' }), t.db.url, wrong.print)).toBe(2);
    expect(wrong.lines.error.join('\n')).toContain('一致しません。何も消去していません');
    expect(await t.db.prisma.cardHolder.count()).toBe(before);
  });

  it('When the command line is hostile, then each refusal is a Japanese message and nothing starts', async () => {
    const env = { ERASURE_DB_USER: ERASER.user, ERASURE_DB_PASSWORD: ERASER.password };
    const cases: [string[], Record<string, string | undefined>, string][] = [
      [['--operator', 'a\u0000b'], env, '実施者の氏名を100文字以内'],
      [['--operator', 'x'.repeat(101)], env, '実施者の氏名を100文字以内'],
      [['--operator', '  '], env, '実施者の氏名'],
      [[], env, '実施者の氏名'],
      [['--operator', 'a', '--operator', 'b'], env, '同じ指定が2回以上'],
      [['--operator', 'a', '--confirm', 'x', '--confirm', 'y'], env, '同じ指定が2回以上'],
      [['--operator', 'a', '--force'], env, '使い方'],
      [['--operator', 'a', 'stray'], env, '使い方'],
      [['--operator', 'a'], {}, 'ERASURE_DB_USER と ERASURE_DB_PASSWORD'],
      [['--operator', 'a'], { ...env, ERASURE_DB_PASSWORD: 'a\u0000b' }, 'ERASURE_DB_USER と ERASURE_DB_PASSWORD'],
      [['--operator', 'a', '--out', '/nonexistent/99999999999999999999'], env, 'がないか、書き込めません'],
      [['--operator', 'a', '--confirm', ''], env, '一致しません'],
    ];
    const { translator } = await import('../../src/lib/i18n.js');
    const tr = translator();
    for (const [args, environment, message] of cases) {
      const checked = await checkEraseArgs(args, environment);
      expect(checked.ok, args.join(' ')).toBe(false);
      if (!checked.ok) expect(tr(checked.messageKey, checked.params), args.join(' ')).toContain(message);
    }
    expect(await checkEraseArgs(['--operator', ' 運用 太郎 ', '--confirm', 'db'], env)).toEqual({
      ok: true,
      options: { operator: '運用 太郎', outDir: '.', confirm: 'db', user: ERASER.user, password: ERASER.password },
    });
  });

  it('When the command is started without its credential, then it says so in Japanese and exits 1', async () => {
    const run = promisify(execFile);
    const failure = await run('npx', ['tsx', 'src/features/retention/cli/erase.ts', '--operator', '運用 太郎'], {
      env: { ...process.env, ERASURE_DB_USER: '', ERASURE_DB_PASSWORD: '', DATABASE_URL: t.db.url },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('ERASURE_DB_USER と ERASURE_DB_PASSWORD');
  });

  it('When the operator confirms with the database name, then no personal datum is left in any column of any table, the rest stays, and an A4 certificate and a file say what went', async () => {
    const planted = await plantPersonalData();
    const { user: admin } = await signedInStaff(t, 'admin');
    const data = [NAME, KANA, EMAIL, PHONE, IP, '127.0.0.1', planted.noticeId, planted.birthKey, planted.personKey, planted.staffLogin, admin.loginId, admin.displayName];
    const before = await findPersonalData(data);
    for (const datum of data)
      expect(
        before.some((hit) => hit.endsWith(`: ${datum}`)),
        datum,
      ).toBe(true); // the scan finds what is there
    const keptCounters = await t.db.prisma.counter.count();
    const keptSlots = await t.db.prisma.slot.count();
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'erasure-'));

    const { lines, print } = printer();
    expect(await runErasure(options({ confirm: databaseName(), outDir }), t.db.url, print)).toBe(0);

    expect(await findPersonalData(data)).toEqual([]);
    for (const table of ERASED_TABLES) expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n, table).toBe(0);
    expect(await t.db.prisma.counter.count()).toBe(keptCounters);
    expect(await t.db.prisma.slot.count()).toBe(keptSlots);
    expect(await t.db.prisma.ticket.findFirstOrThrow({ where: { token: planted.ticketToken } })).toMatchObject({ bookingId: null, number: 'A-001' });

    const files = (await readdir(outDir)).sort();
    expect(files).toHaveLength(2);
    const certificate = JSON.parse(
      await readFile(
        path.join(
          outDir,
          files.find((file) => file.endsWith('.json'))!,
        ),
        'utf8',
      ),
    );
    expect(certificate).toMatchObject({ database: databaseName(), databaseRole: ERASER.user, operator: '運用 太郎(保守ベンダー)', remainingRows: 0 });
    const rowsOf = (table: string) => certificate.tables.find((entry: { table: string }) => entry.table === table).rows;
    expect(rowsOf('card_holders')).toBeGreaterThanOrEqual(1);
    expect(rowsOf('audit_logs')).toBeGreaterThanOrEqual(5);
    expect(rowsOf('staff_users')).toBeGreaterThanOrEqual(2);
    expect(certificate.totalRows).toBe(certificate.tables.reduce((sum: number, entry: { rows: number }) => sum + entry.rows, 0));
    expect(new Date(certificate.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(certificate.startedAt).getTime());
    const html = await readFile(
      path.join(
        outDir,
        files.find((file) => file.endsWith('.html'))!,
      ),
      'utf8',
    );
    for (const text of ['個人情報消去証明書', '@page { size: A4', '運用 太郎(保守ベンダー)', '操作ログ', '交付対象者', ERASER.user, certificate.certificateId])
      expect(html).toContain(text);
    // Every table erased or kept is named in Japanese, the kept ones with their table name beside.
    expect(html).toContain('交付場所 (counters)、');
    expect(html).toContain('棚卸の結果 (不足・対象外のカード)');
    expect(html).toContain('予約枠 (時刻と定員。個人を含まない) (slots)');
    expect(html).not.toMatch(/data\.tables\./);
    expect(lines.log.join('\n')).toContain('消去証明書を保存しました');

    const again = printer();
    expect(await runErasure(options({ confirm: databaseName(), outDir }), t.db.url, again.print)).toBe(0); // twice: nothing left, a certificate of 0 rows
    expect(again.lines.log.join('\n')).toContain('合計 0行');
    expect(await readdir(outDir)).toHaveLength(4);
  });
});
