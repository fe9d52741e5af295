// Counter work through HTTP: check in, hand over (the card follows), no-show, end-of-day bulk
// no-show with its preview, the printable daily list, and the audit entries of each.
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_CLERK } from '../helpers/booking.js';
import { transaction } from '../../src/db/transaction.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditActions, counterWithSlots, holderAt, postForm, staffOf } from './helpers.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
const today = todayInJapan();
const baseUrl = 'http://127.0.0.1';

beforeAll(async () => {
  t = await createTestApp();
});

async function booked(counterId: number, slotId: number) {
  const person = await holderAt(t, counterId);
  const group = await transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
    bookSlot(tx, { slotId, cardHolderIds: [person.holder.id], channel: 'web', email: null, baseUrl, by: TEST_CLERK }),
  );
  return { ...person, bookingId: group.bookings[0].id, code: group.groupCode };
}

const bookingOf = (id: number) => t.db.prisma.booking.findUniqueOrThrow({ where: { id }, include: { cardHolder: true } });

describe('counter work', () => {
  it('When staff check a person in and then hand the card over, then the booking becomes checked in then handed over, the card becomes handed over, and both are audited', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 600, capacity: 2 }]);
    const person = await booked(counter.id, slots[0].id);
    const { user, agent } = await staffOf(t, 'staff');
    const holderPage = `/staff/console/holders/${person.holder.id}`;
    const page = await agent.get(holderPage);
    expect(page.text).toContain(`/staff/console/bookings/${person.bookingId}/check-in`);
    const checkIn = await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/check-in`, {});
    expect(checkIn.headers.location).toBe(`${holderPage}?done=check_in`);
    expect((await bookingOf(person.bookingId)).status).toBe('checked_in');
    const again = await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/check-in`, {});
    expect(again.status).toBe(409);
    expect(again.text).toContain('受付できる状態ではありません');
    const handOver = await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/hand-over`, {});
    expect(handOver.headers.location).toBe(`${holderPage}?done=hand_over`);
    const after = await bookingOf(person.bookingId);
    expect(after.status).toBe('handed_over');
    expect(after.cardHolder!.status).toBe('handed_over');
    expect(await t.db.prisma.cardStatusChange.findFirst({ where: { cardHolderId: person.holder.id, toStatus: 'handed_over' } })).toMatchObject({
      fromStatus: 'booked',
      actor: `staff:${user.id}`,
    });
    const audit = (await auditActions(t, user.id)).filter((row) => row.targetId === person.code).map((row) => row.action);
    expect(audit).toEqual(['booking.check_in', 'booking.hand_over']);
  });

  it('When staff mark a no-show, then the booking is no-show, the card goes back to notice sent (so the person can book again), and it is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 600, capacity: 2 }]);
    const person = await booked(counter.id, slots[0].id);
    const { user, agent } = await staffOf(t, 'admin');
    const response = await postForm(agent, `/staff/console/holders/${person.holder.id}`, `/staff/console/bookings/${person.bookingId}/no-show`, {});
    expect(response.status).toBe(303);
    const after = await bookingOf(person.bookingId);
    expect(after.status).toBe('no_show');
    expect(after.cardHolder!.status).toBe('notice_sent');
    expect((await auditActions(t, user.id)).some((row) => row.action === 'booking.no_show' && row.targetId === person.code)).toBe(true);
  });

  it('When staff limited to another counter try counter work on this booking, then it is refused and nothing changes', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 600, capacity: 2 }]);
    const { counter: other } = await counterWithSlots(t, today, []);
    const person = await booked(counter.id, slots[0].id);
    const { agent } = await staffOf(t, 'staff', [other.id]);
    const response = await postForm(agent, '/staff/console', `/staff/console/bookings/${person.bookingId}/hand-over`, {});
    expect(response.status).toBe(404);
    expect((await bookingOf(person.bookingId)).status).toBe('active');
  });

  it('When the end-of-day bulk no-show is previewed and confirmed, then only the unvisited bookings of that counter and day become no-show, and the count is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 540, capacity: 5 }]);
    const { counter: otherCounter, slots: otherSlots } = await counterWithSlots(t, today, [{ startMinute: 540, capacity: 5 }]);
    const [a, b, c] = [await booked(counter.id, slots[0].id), await booked(counter.id, slots[0].id), await booked(counter.id, slots[0].id)];
    const elsewhere = await booked(otherCounter.id, otherSlots[0].id);
    const { user, agent } = await staffOf(t, 'staff');
    await postForm(agent, `/staff/console/holders/${a.holder.id}`, `/staff/console/bookings/${a.bookingId}/check-in`, {});
    const preview = await agent.get(`/staff/console/counters/${counter.id}/no-show?date=${today}`);
    expect(preview.text).toContain('来庁の記録がない予約が 2件');
    expect((await bookingOf(b.bookingId)).status).toBe('active'); // the preview changes nothing
    const done = await postForm(agent, `/staff/console/counters/${counter.id}/no-show?date=${today}`, `/staff/console/counters/${counter.id}/no-show`, { date: today });
    expect(done.headers.location).toBe(`/staff/console/counters/${counter.id}/day?date=${today}&noShows=2`);
    expect((await agent.get(done.headers.location)).text).toContain('2件を「来庁なし」にしました');
    expect(await Promise.all([a, b, c, elsewhere].map(async (p) => (await bookingOf(p.bookingId)).status))).toEqual(['checked_in', 'no_show', 'no_show', 'active']);
    const audit = (await auditActions(t, user.id)).find((row) => row.action === 'booking.no_show.bulk');
    expect(audit?.detail).toEqual({ date: today, count: 2 });
  });

  it('When the bulk no-show is asked for a future day, then it is refused', async () => {
    const { counter } = await counterWithSlots(t, addDays(today, 1), [{ startMinute: 540, capacity: 5 }]);
    const { agent } = await staffOf(t, 'staff');
    const response = await agent.get(`/staff/console/counters/${counter.id}/no-show?date=${addDays(today, 1)}`);
    expect(response.status).toBe(400);
    expect(response.text).toContain('明日以降');
  });
});

describe('printable daily list', () => {
  it('When staff open the daily list, then every booking is listed sorted by time with its storage place, and the view is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [
      { startMinute: 780, capacity: 2 },
      { startMinute: 540, capacity: 2 },
    ]);
    const late = await booked(counter.id, slots[0].id);
    const early = await booked(counter.id, slots[1].id);
    await t.db.prisma.cardHolder.update({ where: { id: early.holder.id }, data: { storagePlace: '棚B-12' } });
    const { user, agent } = await staffOf(t, 'staff');
    const page = await agent.get(`/staff/console/counters/${counter.id}/print?date=${today}`);
    expect(page.status).toBe(200);
    expect(page.text.indexOf(early.code)).toBeLessThan(page.text.indexOf(late.code));
    expect(page.text).toContain('棚B-12');
    expect(page.text).toContain('予約 2件(時刻順)');
    expect((await auditActions(t, user.id)).some((row) => row.action === 'console.print' && row.targetId === String(counter.id))).toBe(true);
  });
});

describe('counter work under concurrency and refusals', () => {
  it('When check-in and no-show are pressed for the same booking at the same moment, then exactly one of them happens', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 600, capacity: 10 }]);
    const people = await Promise.all(Array.from({ length: 6 }, () => booked(counter.id, slots[0].id)));
    const { agent } = await staffOf(t, 'staff');
    const { agent: colleague } = await staffOf(t, 'staff');
    for (const person of people) {
      const page = `/staff/console/holders/${person.holder.id}`;
      const [checkIn, noShow] = await Promise.all([
        postForm(agent, page, `/staff/console/bookings/${person.bookingId}/check-in`, {}),
        postForm(colleague, page, `/staff/console/bookings/${person.bookingId}/no-show`, {}),
      ]);
      expect([checkIn.status, noShow.status].sort()).toEqual([303, 409]);
      const after = await bookingOf(person.bookingId);
      expect(after.status).toBe(checkIn.status === 303 ? 'checked_in' : 'no_show');
      expect(after.cardHolder!.status).toBe(checkIn.status === 303 ? 'booked' : 'notice_sent');
    }
  });

  it('When the bulk no-show races check-ins of the same day, then a person checked in is never marked no-show', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 600, capacity: 20 }]);
    const people = await Promise.all(Array.from({ length: 12 }, () => booked(counter.id, slots[0].id)));
    const { agent } = await staffOf(t, 'staff');
    const { agent: chief } = await staffOf(t, 'staff');
    const checkIns = people.slice(0, 6).map((person) => postForm(agent, `/staff/console/holders/${person.holder.id}`, `/staff/console/bookings/${person.bookingId}/check-in`, {}));
    const bulk = postForm(chief, `/staff/console/counters/${counter.id}/no-show?date=${today}`, `/staff/console/counters/${counter.id}/no-show`, { date: today });
    const [bulkResponse, ...checkInResponses] = await Promise.all([bulk, ...checkIns]);
    const marked = Number(new URL(bulkResponse.headers.location, 'http://x').searchParams.get('noShows'));
    const statuses = await Promise.all(people.map(async (person) => (await bookingOf(person.bookingId)).status));
    checkInResponses.forEach((response, index) => expect(statuses[index]).toBe(response.status === 303 ? 'checked_in' : 'no_show'));
    expect(statuses.slice(6)).toEqual(Array(6).fill('no_show'));
    expect(statuses.filter((status) => status === 'no_show')).toHaveLength(marked);
  });

  it('When the card was put on hold after booking, then hand-over is refused with a message and nothing changes', async () => {
    const { counter, slots } = await counterWithSlots(t, today, [{ startMinute: 600, capacity: 2 }]);
    const person = await booked(counter.id, slots[0].id);
    await t.db.prisma.cardHolder.update({ where: { id: person.holder.id }, data: { status: 'on_hold' } });
    const { agent } = await staffOf(t, 'staff');
    const response = await postForm(agent, `/staff/console/holders/${person.holder.id}`, `/staff/console/bookings/${person.bookingId}/hand-over`, {});
    expect(response.status).toBe(409);
    expect(response.text).toContain('カードが交付できる状態ではない');
    expect((await bookingOf(person.bookingId)).status).toBe('active');
  });
});
