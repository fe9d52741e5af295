// Counts per procedure where staff plan the day: the day board (and its JSON), the week view,
// the printed list; and the pull list only for procedures that hand over a stored card.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { addDays } from '../../src/lib/jst.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { counterWithSlots, holderAt, staffOf } from './helpers.js';

const { today } = pinClock('2027-02-01T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 3);

beforeAll(async () => {
  t = await createTestApp();
});

/** A counter offering the pickup and a PIN reset, with two pickups and one PIN reset booked on `day`. */
async function bookedDay() {
  const { counter, slots } = await counterWithSlots(t, day, [
    { startMinute: 600, capacity: 4 },
    { startMinute: 660, capacity: 4 },
  ]);
  await t.db.prisma.procedure.upsert({ where: { code: 'pin-reset' }, create: { code: 'pin-reset', name: '暗証番号の再設定', needsNoticeId: false, displayOrder: 5 }, update: {} });
  await t.db.prisma.counterProcedure.create({ data: { counterId: counter.id, procedureCode: 'pin-reset' } });
  const people = await Promise.all([holderAt(t, counter.id), holderAt(t, counter.id), holderAt(t, counter.id)]);
  const book = (index: number, slotId: number, procedure?: string) =>
    transaction(t.db, { type: 'staff', id: '0' }, (tx) =>
      bookSlot(tx, { slotId, cardHolderIds: [people[index].holder.id], channel: 'counter', procedure, by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
    );
  await book(0, slots[0].id);
  await book(1, slots[1].id);
  await book(2, slots[1].id, 'pin-reset');
  return { counter, people };
}

describe('counts per procedure', () => {
  it('When staff open the day board, its JSON, the week and the printed list, then each shows people per procedure by name, each booking its procedure, and the printed list what each procedure brings', async () => {
    const { counter } = await bookedDay();
    const { agent } = await staffOf(t, 'staff');
    const board = await agent.get(`/staff/console/counters/${counter.id}/day?date=${day}`);
    expect(board.text).toContain('手続き別の予約: マイナンバーカードの受け取り 2人、暗証番号の再設定 1人');
    expect(board.text).toContain('[暗証番号の再設定]');
    const json = (await agent.get(`/staff/console/counters/${counter.id}/day.json?date=${day}`)).body as {
      byProcedure: { name: string; people: number }[];
      slots: { bookings: { procedure: string }[] }[];
    };
    expect(json.byProcedure.map(({ name, people }) => ({ name, people }))).toEqual([
      { name: 'マイナンバーカードの受け取り', people: 2 },
      { name: '暗証番号の再設定', people: 1 },
    ]);
    expect(json.slots[1].bookings.map((booking) => booking.procedure).sort()).toEqual(['マイナンバーカードの受け取り', '暗証番号の再設定']);
    const week = await agent.get(`/staff/console/counters/${counter.id}/week?from=${day}`);
    expect(week.text).toContain('マイナンバーカードの受け取り 2人、暗証番号の再設定 1人');
    const print = await agent.get(`/staff/console/counters/${counter.id}/print?date=${day}`);
    expect(print.text).toContain('<td>暗証番号の再設定</td>');
    expect(print.text).toContain('<dt>マイナンバーカードの受け取りの持ち物</dt><dd>交付通知書(はがき)、本人確認書類(運転免許証、パスポートなど)');
    expect(print.text).toContain('手続き別の予約: マイナンバーカードの受け取り 2人、暗証番号の再設定 1人');
    expect(board.text + week.text + print.text).not.toContain('pin-reset');
  });

  it('When the pull list is printed, then only the bookings of procedures that hand over a stored card are on it', async () => {
    const { counter, people } = await bookedDay();
    const { agent } = await staffOf(t, 'staff');
    const page = await agent.get(`/staff/cards/pull-list?counterId=${counter.id}&date=${day}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(people[0].holder.noticeId);
    expect(page.text).toContain(people[1].holder.noticeId);
    expect(page.text).not.toContain(people[2].holder.noticeId);
  });
});
