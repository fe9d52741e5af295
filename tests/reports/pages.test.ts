// The monthly report page and its CSV downloads: who may see which counters, the bytes Excel
// reads (BOM, CRLF, Shift_JIS, formulas neutralised), the cards section, and bad input (a
// Japanese 400 or 403, never a 500).
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot, handOver } from '../../src/features/booking/index.js';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { binaryBody } from '../helpers/http.js';
import { inTx } from '../helpers/tx.js';
import { staffOf, type Agent } from '../console/helpers.js';

const { today } = pinClock(WORKING_WEDNESDAY);
const MONTH = today.slice(0, 7);
let t: TestApp;
let mainId: number;
let otherId: number;

beforeAll(async () => {
  t = await createTestApp();
  const main = await createCounter(t.db, { name: '=本庁舎' });
  const other = await createCounter(t.db, { name: '北支所' });
  mainId = main.id;
  otherId = other.id;
  const slot = await createSlot(t.db, { counterId: mainId, date: addDays(today, 2), capacity: 4 });
  await createSlot(t.db, { counterId: otherId, date: addDays(today, 2), capacity: 6 });
  const holder = (await createCardHolder(t.db, { counterId: mainId })).holder;
  const group = await inTx(
    t.db,
    (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', email: null, by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
    STAFF_ACTOR,
  );
  await inTx(t.db, (tx) => handOver(tx, { bookingId: group.bookings[0].id, by: TEST_CLERK, otherDayConfirmed: true }), STAFF_ACTOR);
  await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: otherId, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
  // Cards: two imported this month (one returned), one imported four months ago and still waiting.
  const imported = async (at: Date, status: 'notice_sent' | 'returned_undelivered') => {
    const card = (await createCardHolder(t.db, { counterId: mainId })).holder;
    await t.db.query(`UPDATE card_holders SET created_at = $2, status = $3::card_status WHERE id = $1`, [card.id, at, status]);
    await t.db.query(`INSERT INTO card_status_changes (card_holder_id, from_status, to_status, reason, actor, at) VALUES ($1, NULL, 'notice_sent', '取込', 'system:test', $2)`, [
      card.id,
      at,
    ]);
    if (status === 'returned_undelivered')
      await t.db.query(
        `INSERT INTO card_status_changes (card_holder_id, from_status, to_status, reason, actor, at) VALUES ($1, 'notice_sent', 'returned_undelivered', '返戻', 'system:test', $2)`,
        [card.id, new Date(at.getTime() + 3_600_000)],
      );
  };
  await imported(jstInstant(`${MONTH}-05`, 600), 'notice_sent');
  await imported(jstInstant(`${MONTH}-06`, 600), 'returned_undelivered');
  await imported(jstInstant(addDays(`${MONTH}-05`, -120), 600), 'notice_sent');
});

async function csv(agent: Agent, path: string) {
  const response = await agent.get(path).buffer(true).parse(binaryBody);
  return { response, bytes: response.body as Buffer };
}

const rowsOf = (bytes: Buffer) => parse(bytes.subarray(3).toString('utf8')) as string[][];

describe('monthly report page', () => {
  it('When an admin opens the month, then the summary, counters, channels, cards and both charts show the counts', async () => {
    const { agent } = await staffOf(t, 'admin');
    const page = await agent.get(`/staff/reports?month=${MONTH}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('実績報告書');
    expect(page.text).toContain('id="chart-capacity"');
    expect(page.text).toContain('id="chart-no-shows"');
    const { bytes } = await csv(agent, `/staff/reports/summary.csv?month=${MONTH}&counter=${mainId}`);
    const summary = Object.fromEntries(rowsOf(bytes).slice(1));
    expect(summary).toMatchObject({ 予約: '1', 来庁: '1', 交付: '1', 予約なし来庁: '0', 予約枠の定員: '4', 予約済みの人数: '1', 取り込んだカード: '2', 返戻: '1' });
    expect(summary['未予約 1か月未満']).toBe('1');
    expect(summary['未予約 3〜6か月']).toBe('1');
    const channels = rowsOf((await csv(agent, `/staff/reports/channels.csv?month=${MONTH}`)).bytes);
    expect(channels.find((row) => row[0] === '電話')?.slice(1, 2)).toEqual(['1']);
    expect(channels.find((row) => row[0] === '予約なし来庁')?.[7]).toBe('1');
  });

  it('When a clerk of one counter opens the report, then only that counter is counted and another counter in the query is refused in Japanese', async () => {
    const { agent } = await staffOf(t, 'staff', [otherId]);
    const counters = rowsOf((await csv(agent, `/staff/reports/counters.csv?month=${MONTH}`)).bytes);
    expect(counters.map((row) => row[0])).toEqual(['交付場所', '北支所']);
    const refused = await agent.get(`/staff/reports?month=${MONTH}&counter=${mainId}`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('この交付場所の実績は見られません');
    expect((await agent.get(`/staff/reports/summary.csv?counter=${mainId}`)).status).toBe(403);
  });

  it('When an operator asks for the report or a CSV, then it is refused', async () => {
    const { agent } = await staffOf(t, 'operator');
    expect((await agent.get('/staff/reports')).status).toBe(403);
    expect((await agent.get(`/staff/reports/days.csv?month=${MONTH}`)).status).toBe(403);
  });

  it('When a table is downloaded, then it is UTF-8 with a BOM and CRLF, or Shift_JIS on request, and a counter named like a formula is neutralised', async () => {
    const { agent } = await staffOf(t, 'admin');
    const { response, bytes } = await csv(agent, `/staff/reports/counters.csv?month=${MONTH}`);
    expect(response.headers['content-type']).toContain('charset=UTF-8');
    expect(response.headers['content-disposition']).toContain('attachment');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('\r\n');
    expect(rowsOf(bytes).map((row) => row[0])).toContain("'=本庁舎");
    const sjis = await csv(agent, `/staff/reports/days.csv?month=${MONTH}&encoding=sjis`);
    expect(sjis.response.headers['content-type']).toContain('Shift_JIS');
    const text = iconv.decode(sjis.bytes, 'CP932');
    expect(text.startsWith('日付,予約')).toBe(true);
    expect(text.split('\r\n').length).toBeGreaterThan(28);
  });

  it.each([
    ['an impossible month', '/staff/reports?month=2026-13', 400],
    ['a NUL byte', '/staff/reports?month=2026-01%00', 400],
    ['a huge counter id', '/staff/reports?counter=99999999999999999999', 400],
    ['a doubled month', `/staff/reports?month=${MONTH}&month=2026-01`, 400],
    ['a doubled counter', '/staff/reports?counter=1&counter=2', 400],
    ['a counter that does not exist', '/staff/reports?counter=2147483647', 400],
    ['a counter id of 2^31', '/staff/reports?counter=2147483648', 400],
    ['a counter id of 2^31 in the CSV', `/staff/reports/summary.csv?month=${MONTH}&counter=2147483648`, 400],
    ['a NUL byte in the counter', '/staff/reports?counter=1%00', 400],
    ['a day that does not exist as the month', '/staff/reports?month=2026-02-31', 400],
    ['a doubled month in the CSV', `/staff/reports/days.csv?month=${MONTH}&month=2026-01`, 400],
    ['an unknown table', `/staff/reports/people.csv?month=${MONTH}`, 400],
    ['a month in the CSV that does not exist', '/staff/reports/days.csv?month=2026-02-30', 400],
    ['a month of 2^31', '/staff/reports?month=2147483648', 400],
    ['a month of twenty digits in the CSV', '/staff/reports/summary.csv?month=99999999999999999999', 400],
    ['a month outside the years the system serves', '/staff/reports?month=0000-01', 400],
    ['a NUL byte as the month in the CSV', '/staff/reports/counters.csv?month=%00', 400],
    ['a doubled counter in the CSV', `/staff/reports/counters.csv?month=${MONTH}&counter=1&counter=1`, 400],
  ])('When the query holds %s, then a Japanese message comes back, not a 500', async (_name, path, status) => {
    const { agent } = await staffOf(t, 'admin');
    const response = await agent.get(path);
    expect(response.status).toBe(status);
    expect(response.text).toMatch(/[ぁ-んァ-ン一-龥]/);
  });
});

describe('monthly report counter field', () => {
  it.each(['2147483648', 'abc', '1%00', '0'])('When the counter is %s, then the message names the counter field', async (counter) => {
    const { agent } = await staffOf(t, 'admin');
    const response = await agent.get(`/staff/reports?month=${MONTH}&counter=${counter}`);
    expect(response.status).toBe(400);
    expect(response.text).toContain('交付場所の指定が正しくありません');
  });
});

describe('inquiries in the monthly report', () => {
  it('When inquiries were recorded at two counters, at none and in another month, then the report counts the month per category within the counters it covers', async () => {
    const inMonth = jstInstant(`${MONTH}-03`, 600);
    const nextMonth = jstInstant(addDays(`${MONTH}-01`, 40), 600);
    const record = (counterId: number | null, categoryCode: string, receivedAt: Date, escalated = false) =>
      t.db.prisma.inquiry.create({
        data: {
          receivedAt,
          channel: 'phone',
          categoryCode,
          body: '問い合わせ',
          counterId,
          handledBy: 'staff:1',
          ...(escalated ? { status: 'escalated', escalatedAt: receivedAt } : {}),
        },
      });
    await record(mainId, 'complaint', inMonth, true);
    await record(mainId, 'complaint', inMonth);
    await record(otherId, 'complaint', inMonth);
    await record(null, 'complaint', inMonth);
    await record(mainId, 'complaint', nextMonth);
    const [expected] = await t.db.query<{ all: number; escalated: number; main: number }>(
      `SELECT count(*)::int AS all, count(escalated_at)::int AS escalated, count(*) FILTER (WHERE counter_id = $3)::int AS main
         FROM inquiries WHERE category_code = 'complaint' AND received_at >= $1 AND received_at < $2`,
      [jstInstant(`${MONTH}-01`), jstInstant(addDays(`${MONTH}-01`, 31).slice(0, 7) + '-01'), mainId],
    );
    expect(expected).toEqual({ all: 4, escalated: 1, main: 2 });
    const { agent } = await staffOf(t, 'admin');
    const all = rowsOf((await csv(agent, `/staff/reports/inquiries.csv?month=${MONTH}`)).bytes);
    expect(all[0]).toEqual(['分類', '受付件数', 'うち市へ引き継ぎ']);
    expect(all.find((row) => row[0] === '苦情')).toEqual(['苦情', String(expected.all), String(expected.escalated)]);
    expect(all.at(-1)).toEqual(['計', String(expected.all), String(expected.escalated)]);
    const main = rowsOf((await csv(agent, `/staff/reports/inquiries.csv?month=${MONTH}&counter=${mainId}`)).bytes);
    expect(main.find((row) => row[0] === '苦情')).toEqual(['苦情', String(expected.main), '1']);
    const page = await agent.get(`/staff/reports?month=${MONTH}`);
    expect(page.text).toContain('問い合わせ (分類別)');
  });
});

describe('procedures in the monthly report', () => {
  it('When the journal names a procedure since deleted, then the page and the CSV say so in Japanese instead of showing its code', async () => {
    const counter = await createCounter(t.db, { name: '南支所' });
    const at = jstInstant(`${MONTH}-10`, 600);
    await t.db.query(
      `INSERT INTO booking_events (booking_id, kind, occurred_at, day, slot_date, counter_id, procedure_code, channel)
       VALUES (2147480000, 'booked', $1, $2::date, $2::date, $3, 'gone_procedure', 'web')`,
      [at, `${MONTH}-10`, counter.id],
    );
    const { agent } = await staffOf(t, 'admin');
    const rows = rowsOf((await csv(agent, `/staff/reports/procedures.csv?month=${MONTH}&counter=${counter.id}`)).bytes);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['削除された手続き']);
    const page = await agent.get(`/staff/reports?month=${MONTH}&counter=${counter.id}`);
    expect(page.text).toContain('削除された手続き');
    expect(page.text).not.toContain('gone_procedure');
  });

  it('When events name procedures in any order, then the table lists them in the order they were set up, a deleted one last, the same on every download', async () => {
    const counter = await createCounter(t.db, { name: '東支所' });
    const later = await offerProcedure(t.db, counter.id, { name: '後から追加した手続き' });
    const day = `${MONTH}-11`;
    for (const [bookingId, code] of [
      [2147480001, 'gone_too'],
      [2147480002, later],
      [2147480003, 'pickup'],
    ] as const)
      await t.db.query(
        `INSERT INTO booking_events (booking_id, kind, occurred_at, day, slot_date, counter_id, procedure_code, channel) VALUES ($1, 'booked', $2, $3::date, $3::date, $4, $5, 'web')`,
        [bookingId, jstInstant(day, 600), day, counter.id, code],
      );
    const { agent } = await staffOf(t, 'admin');
    const pickup = (await t.db.prisma.procedure.findUniqueOrThrow({ where: { code: 'pickup' } })).name;
    for (let download = 0; download < 3; download++) {
      const rows = rowsOf((await csv(agent, `/staff/reports/procedures.csv?month=${MONTH}&counter=${counter.id}`)).bytes);
      expect(rows.slice(1).map((row) => row[0])).toEqual([pickup, '後から追加した手続き', '削除された手続き']);
    }
  });
});
