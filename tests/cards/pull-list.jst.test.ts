import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { bookApplicant, createApplicant, createCardHolder, offerProcedure, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { binaryBody } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { type Agent } from './helpers.js';
import { createBooking } from '../helpers/bookings.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
let clerk: Agent;

beforeAll(async () => {
  t = await createTestApp();
  const staff = await createStaff(t.db, { role: 'staff' });
  clerk = await staffAgent(t.app, staff.user.loginId, staff.password);
});

async function bookedCard(counterId: number, slotId: number, storagePlace: string, status: 'notice_sent' | 'data_received' = 'notice_sent') {
  const card = await createCardHolder(t.db, { counterId, status });
  await t.db.prisma.cardHolder.update({ where: { id: card.holder.id }, data: { storagePlace, status: status === 'notice_sent' ? 'booked' : status } });
  await createBooking(t.db, { slotId, cardHolderId: card.holder.id });
  return card;
}

describe('pull list (引抜きリスト)', () => {
  it('When no date is given, then the list is for the next day (in Japan) with slots, sorted by storage place, with times, barcodes and not-arrived cards flagged', async () => {
    const counter = await createCounter(t.db, { name: '中央窓口' });
    const nextOpen = addDays(todayInJapan(), 3); // days 1-2 have no slots (closed)
    const morning = await createSlot(t.db, { counterId: counter.id, date: nextOpen, startMinute: 9 * 60 });
    const afternoon = await createSlot(t.db, { counterId: counter.id, date: nextOpen, startMinute: 14 * 60 + 30 });
    const later = await createSlot(t.db, { counterId: counter.id, date: addDays(todayInJapan(), 5) });
    const today = await createSlot(t.db, { counterId: counter.id, date: todayInJapan(), startMinute: 23 * 60 });
    const boxB = await bookedCard(counter.id, morning.id, 'B-02');
    const boxA = await bookedCard(counter.id, afternoon.id, 'A-10');
    const notArrived = await bookedCard(counter.id, morning.id, 'A-01', 'data_received');
    const otherDay = await bookedCard(counter.id, later.id, 'A-00');
    const todays = await bookedCard(counter.id, today.id, 'A-00');

    const page = await clerk.get(`/staff/cards/pull-list?counterId=${counter.id}`);
    expect(page.status).toBe(200);
    const [year, month, day] = nextOpen.split('-').map(Number);
    expect(page.text).toContain(`${year}年${month}月${day}日`);
    const order = [notArrived.noticeId, boxA.noticeId, boxB.noticeId].map((id) => page.text.indexOf(`<span class="big-digits">${id}</span>`));
    expect(order.every((index) => index > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(page.text).not.toContain(otherDay.noticeId);
    expect(page.text).not.toContain(todays.noticeId);
    expect(page.text).toMatch(/14:30/);
    expect(page.text.match(/<svg/g)?.length).toBe(3);
    expect(page.text).toMatch(new RegExp(`${notArrived.noticeId}</span>.*?未着`, 's'));
    expect(page.text.match(/⚠ 未着/g)?.length).toBe(1);

    const csv = await clerk.get(`/staff/cards/pull-list.csv?counterId=${counter.id}&date=${nextOpen}`).buffer(true).parse(binaryBody);
    const rows = parse((csv.body as Buffer).subarray(3).toString('utf8')) as string[][];
    expect(rows.slice(1).map((row) => [row[0], row[1], row[2], row[7]])).toEqual([
      ['A-01', '9:00', notArrived.noticeId, '未着'],
      ['A-10', '14:30', boxA.noticeId, ''],
      ['B-02', '9:00', boxB.noticeId, ''],
    ]);
    const audit = await t.db.prisma.auditLog.findMany({ where: { action: 'cards.pullList' } });
    expect(audit.at(-1)).toMatchObject({ targetId: String(counter.id), detail: { date: nextOpen, rows: 3 } });
  });

  it('When an applicant (no notice ID, no stored card) is booked that day for a procedure that hands a card over, then the list leaves them out and still lists the card holders', async () => {
    const counter = await createCounter(t.db, { name: '申請者窓口' });
    const date = addDays(todayInJapan(), 1);
    const slot = await createSlot(t.db, { counterId: counter.id, date });
    const card = await bookedCard(counter.id, slot.id, 'C-01');
    const applicant = await createApplicant(t.db, { nameKana: 'ヒキヌキ ナシコ' });
    const renewal = await offerProcedure(t.db, counter.id, { name: '有効期限による更新', needsStoredCard: true });
    await bookApplicant(t.db, { slotId: slot.id, applicantId: applicant.id, procedureCode: renewal });

    const csv = await clerk.get(`/staff/cards/pull-list.csv?counterId=${counter.id}&date=${date}`).buffer(true).parse(binaryBody);
    expect(csv.status).toBe(200);
    const text = (csv.body as Buffer).subarray(3).toString('utf8');
    expect((parse(text) as string[][]).slice(1).map((row) => row[2])).toEqual([card.noticeId]);
    expect(text).not.toContain('ヒキヌキ');
    expect((await clerk.get(`/staff/cards/pull-list?counterId=${counter.id}&date=${date}`)).status).toBe(200);
  });
});
