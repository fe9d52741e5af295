// How long a procedure takes (issue 14 point 1): a procedure longer than its slot takes a place
// in each following slot it covers (its run), so staff time is never overbooked; every place
// taken or given back covers the whole run, under any concurrency.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import {
  activeBookingOf,
  addFamilyMember,
  bookSlot,
  cancelBooking,
  dayPage,
  heldSlot,
  holdSlot,
  monthCalendar,
  moveBooking,
  releaseExpiredHolds,
  removeFamilyMember,
} from '../../src/features/booking/index.js';
import { addDays, jstMinutesOf } from '../../src/lib/jst.js';
import { citizenActor, STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 9);
const baseUrl = 'http://127.0.0.1';
const [staff, citizen] = [STAFF_ACTOR, citizenActor];

beforeAll(async () => {
  t = await createTestApp();
});

/** A procedure of `minutes` offered at the counter (which offers the 15-minute pickup too). */
const createProcedure = (counterId: number, minutes: number, data: { perSlotLimit?: number } = {}) => offerProcedure(t.db, counterId, { name: '申請サポート', minutes, ...data });

/** A counter with 30-minute slots starting at these times (minutes after midnight), and a 60-minute procedure. */
async function counterWithSlots(starts: number[], capacity = 3) {
  const counter = await createCounter(t.db);
  const slots = await Promise.all(starts.map((startMinute) => createSlot(t.db, { counterId: counter.id, date: day, startMinute, capacity })));
  return { counter, slots, ids: slots.map((slot) => slot.id), hour: await createProcedure(counter.id, 60) };
}

const people = (count: number) => Promise.all(Array.from({ length: count }, () => createCardHolder(t.db)));
const book = (holderIds: number[], slotId: number, procedure?: string, familyProcedures?: Record<number, string>) =>
  transaction(t.db, staff, (tx) => bookSlot(tx, { slotId, cardHolderIds: holderIds, channel: 'phone', procedure, familyProcedures, by: TEST_CLERK, baseUrl }));
const hold = (holderId: number, slotId: number, procedure?: string, now?: Date) =>
  transaction(t.db, citizen(holderId), (tx) => holdSlot(tx, { slotId, cardHolderId: holderId, minutes: 20, procedure, now }), { models: false });
const cancel = (bookingId: number) => transaction(t.db, staff, (tx) => cancelBooking(tx, { bookingId, by: TEST_CLERK, baseUrl }));
const codeOf = (result: PromiseSettledResult<unknown>) => (result.status === 'fulfilled' ? 'booked' : ((result.reason as { code?: string }).code ?? String(result.reason)));

/** slots.booked of each slot, in the order given. */
const booked = async (ids: number[]) => {
  const rows = await t.db.prisma.slot.findMany({ where: { id: { in: ids } } });
  return ids.map((id) => rows.find((row) => row.id === id)!.booked);
};

/** Per slot, in the order given: booked, capacity, and the places the rows account for (open bookings and holds whose run covers it). */
async function accounts(ids: number[]) {
  const rows = await t.db.query<{ id: number; booked: number; capacity: number; rows: number }>(
    `SELECT s.id, s.booked, s.capacity,
            ((SELECT count(*) FROM bookings b WHERE b.status IN ('active', 'checked_in') AND s.id = ANY(array_prepend(b.slot_id, b.also_slot_ids)))
             + (SELECT coalesce(sum(h.people), 0) FROM slot_holds h WHERE s.id = ANY(array_prepend(h.slot_id, h.also_slot_ids))))::int AS rows
     FROM slots s WHERE s.id = ANY($1::int[])`,
    [ids],
  );
  return ids.map((id) => rows.find((row) => row.id === id)!);
}

describe('a procedure longer than its slot', () => {
  it('When a 60-minute procedure is booked in 30-minute slots, then it takes a place in its slot and the next one (not the one after), and a cancellation gives both back', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30, 10 * 60]);
    const [a] = await people(1);
    const group = await book([a.holder.id], ids[0], hour);
    expect(await booked(ids)).toEqual([1, 1, 0]);
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { id: group.bookings[0].id } })).toMatchObject({ slotId: ids[0], alsoSlotIds: [ids[1]] });
    await cancel(group.bookings[0].id);
    expect(await booked(ids)).toEqual([0, 0, 0]);
  });

  it("When a 60-minute procedure is held and booked, then the hold, the confirmation mail and the citizen's booking end with its run (9:00〜10:00), not its first slot", async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30, 10 * 60]);
    const [a] = await people(1);
    await hold(a.holder.id, ids[0], hour);
    const held = await heldSlot(t.db, { cardHolderId: a.holder.id }, now);
    expect(jstMinutesOf(held!.slot.endsAt)).toBe(10 * 60);
    const group = await transaction(t.db, staff, (tx) =>
      bookSlot(tx, { slotId: ids[0], cardHolderIds: [a.holder.id], channel: 'phone', procedure: hour, email: 'run@example.jp', by: TEST_CLERK, baseUrl }),
    );
    const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: group.bookings[0].id } });
    expect(mail.textBody).toContain('9:00〜10:00');
    const own = await activeBookingOf(t.db, { cardHolderId: a.holder.id });
    expect(jstMinutesOf(own!.booking.slot.endsAt)).toBe(10 * 60);
    await cancel(group.bookings[0].id);
    const cancelled = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { bookingId: group.bookings[0].id, kind: 'booking.cancellation' } });
    expect(cancelled.textBody).toContain('9:00〜10:00');
  });

  it('When a citizen holds a 60-minute procedure and the hold runs out, then both slots had a place held and the clean-up gives both back', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30]);
    const [a] = await people(1);
    await hold(a.holder.id, ids[0], hour);
    expect(await booked(ids)).toEqual([1, 1]);
    expect(await t.db.prisma.slotHold.findUniqueOrThrow({ where: { cardHolderId: a.holder.id } })).toMatchObject({ slotId: ids[0], alsoSlotIds: [ids[1]] });
    const later = new Date(now.getTime() + 21 * 60_000);
    expect(await transaction(t.db, staff, (tx) => releaseExpiredHolds(tx, later))).toBe(1);
    expect(await booked(ids)).toEqual([0, 0]);
  });

  it('When the second slot is full only because of a run-out 60-minute hold from the slot before, then a booking there gets its place and the hold gives back both of its places', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30], 1);
    const [a, b] = await people(2);
    await hold(a.holder.id, ids[0], hour, new Date(now.getTime() - 30 * 60_000));
    expect(await booked(ids)).toEqual([1, 1]);
    await book([b.holder.id], ids[1]);
    expect(await booked(ids)).toEqual([0, 1]);
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: a.holder.id } })).toBe(0);
  });

  it('When a 60-minute procedure would start in the last slot before a lunch break or at the end of the day, then it is refused as too long and nothing is written', async () => {
    const { ids, hour } = await counterWithSlots([11 * 60, 11 * 60 + 30, 13 * 60, 13 * 60 + 30]);
    const [a, b] = await people(2);
    for (const slotId of [ids[1], ids[3]]) {
      await expect(book([a.holder.id], slotId, hour)).rejects.toMatchObject({ code: 'procedure_too_long' });
      await expect(hold(b.holder.id, slotId, hour)).rejects.toMatchObject({ code: 'procedure_too_long' });
    }
    expect(await booked(ids)).toEqual([0, 0, 0, 0]);
    await book([a.holder.id], ids[2], hour);
    expect(await booked(ids)).toEqual([0, 0, 1, 1]);
  });

  it('When a 60-minute booking moves, then its run is formed again at the target; moving half an hour later works even when the slot both runs share is full', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30, 10 * 60, 10 * 60 + 30], 1);
    const [a] = await people(1);
    const group = await book([a.holder.id], ids[0], hour);
    const move = (toSlotId: number) => transaction(t.db, staff, (tx) => moveBooking(tx, { bookingId: group.bookings[0].id, toSlotId, by: TEST_CLERK, baseUrl }));
    await move(ids[1]);
    expect(await booked(ids)).toEqual([0, 1, 1, 0]);
    await move(ids[2]);
    expect(await booked(ids)).toEqual([0, 0, 1, 1]);
    await expect(move(ids[3])).rejects.toMatchObject({ code: 'procedure_too_long' });
    expect(await t.db.prisma.booking.findUniqueOrThrow({ where: { id: group.bookings[0].id } })).toMatchObject({ slotId: ids[2], alsoSlotIds: [ids[3]] });
  });

  it('When a family mixes a 15-minute pickup and a 60-minute application on a confirmed hold, then each takes its own slots, and removing or adding a member moves only theirs', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30]);
    const [parent, child, other] = await people(3);
    await hold(parent.holder.id, ids[0], hour);
    const { id: holdId } = await t.db.prisma.slotHold.findUniqueOrThrow({ where: { cardHolderId: parent.holder.id } });
    const group = await transaction(t.db, citizen(parent.holder.id), (tx) =>
      bookSlot(tx, {
        slotId: ids[0],
        cardHolderIds: [parent.holder.id, child.holder.id],
        procedure: hour,
        familyProcedures: { [child.holder.id]: 'pickup' },
        holdId,
        channel: 'web',
        by: null,
        baseUrl,
      }),
    );
    expect(await booked(ids)).toEqual([2, 1]);
    await transaction(t.db, staff, (tx) => removeFamilyMember(tx, { bookingId: group.bookings[0].id, memberBookingId: group.bookings[1].id, by: TEST_CLERK, baseUrl }));
    expect(await booked(ids)).toEqual([1, 1]);
    await transaction(t.db, staff, (tx) => addFamilyMember(tx, { bookingId: group.bookings[0].id, cardHolderId: other.holder.id, procedure: hour, by: TEST_CLERK, baseUrl }));
    expect(await booked(ids)).toEqual([2, 2]);
    await cancel(group.bookings[0].id);
    expect(await booked(ids)).toEqual([0, 0]);
  });

  it("When a 60-minute procedure capped at 1 per slot is booked at 9:00, then it is full at 9:30 too (the run counts against each slot's cap)", async () => {
    const counter = await createCounter(t.db);
    const capped = await createProcedure(counter.id, 60, { perSlotLimit: 1 });
    const ids = (await Promise.all([9 * 60, 9 * 60 + 30, 10 * 60].map((startMinute) => createSlot(t.db, { counterId: counter.id, date: day, startMinute, capacity: 5 })))).map(
      (slot) => slot.id,
    );
    const [a, b] = await people(2);
    await book([a.holder.id], ids[0], capped);
    await expect(book([b.holder.id], ids[1], capped)).rejects.toMatchObject({ code: 'procedure_slot_full' });
    await book([b.holder.id], ids[1]);
    expect(await booked(ids)).toEqual([1, 2, 0]);
  });

  it('When staff book a 60-minute procedure over capacity where only the second slot is full, then only that slot is raised, by one place', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30], 1);
    const [a, b] = await people(2);
    await book([a.holder.id], ids[1]);
    await expect(book([b.holder.id], ids[0], hour)).rejects.toMatchObject({ code: 'slot_full' });
    await transaction(t.db, staff, (tx) =>
      bookSlot(tx, { slotId: ids[0], cardHolderIds: [b.holder.id], procedure: hour, channel: 'counter', by: TEST_CLERK, baseUrl, overbookReason: '介助が必要な方' }),
    );
    expect((await accounts(ids)).map((slot) => [slot.booked, slot.capacity, slot.rows])).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });

  it('When many people book 60-minute procedures and pickups into overlapping slots at once, while others hold, then no slot is overbooked and every slot counts exactly the places its rows account for', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30, 10 * 60, 10 * 60 + 30], 4);
    const [spanning, pickups, holders] = [await people(18), await people(12), await people(6)];
    const results = await Promise.allSettled([
      ...spanning.map((p, i) => book([p.holder.id], ids[i % 3], hour)),
      ...pickups.map((p, i) => book([p.holder.id], ids[i % 4])),
      ...holders.map((p, i) => hold(p.holder.id, ids[i % 3], hour)),
    ]);
    expect(new Set(results.map(codeOf))).toEqual(new Set(['booked', 'slot_full']));
    for (const slot of await accounts(ids)) {
      expect(slot.booked).toBe(slot.rows);
      expect(slot.booked).toBeLessThanOrEqual(slot.capacity);
    }
    // The first slot is reached only by its own bookings and holds, far more than its places.
    expect((await accounts(ids))[0].booked).toBe(4);
  });

  it('When 60-minute bookings move between overlapping times while others book and hold them at once, then no slot is overbooked, nobody deadlocks, and every booking keeps its places', async () => {
    const { ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30, 10 * 60, 10 * 60 + 30, 11 * 60], 3);
    const [movers, newcomers, holders] = [await people(6), await people(12), await people(4)];
    const groups = [];
    for (const [i, p] of movers.entries()) groups.push(await book([p.holder.id], ids[i % 2 === 0 ? 0 : 3], hour));
    const results = await Promise.allSettled([
      ...groups.map((group, i) =>
        transaction(t.db, staff, (tx) => moveBooking(tx, { bookingId: group.bookings[0].id, toSlotId: ids[i % 2 === 0 ? 1 : 2], by: TEST_CLERK, baseUrl })),
      ),
      ...newcomers.map((p, i) => book([p.holder.id], ids[i % 4], i % 3 === 0 ? undefined : hour)),
      ...holders.map((p, i) => hold(p.holder.id, ids[(i % 4) + 1])),
    ]);
    expect(new Set(results.map(codeOf))).toEqual(new Set(['booked', 'slot_full']));
    for (const slot of await accounts(ids)) {
      expect(slot.booked).toBe(slot.rows);
      expect(slot.booked).toBeLessThanOrEqual(slot.capacity);
    }
    const moved = await t.db.prisma.booking.findMany({ where: { id: { in: groups.map((group) => group.bookings[0].id) } } });
    for (const booking of moved) expect([booking.status, booking.alsoSlotIds]).toEqual(['active', [ids[ids.indexOf(booking.slotId) + 1]]]);
  });

  it('When the next slot is full, then the day page and the calendar show the time unbookable for a 60-minute procedure but bookable for the pickup, and the last time before a gap is unbookable', async () => {
    const { counter, ids, hour } = await counterWithSlots([9 * 60, 9 * 60 + 30, 10 * 60, 13 * 60, 13 * 60 + 30], 1);
    const [a] = await people(1);
    await book([a.holder.id], ids[1]);
    const bookable = async (procedure?: string) => (await dayPage(t.db, counter.id, day, procedure))!.times.map((time) => time.bookable);
    expect(await bookable(hour)).toEqual([false, false, false, true, false]);
    expect(await bookable()).toEqual([true, false, true, true, true]);
    const remaining = async (procedure?: string) => (await monthCalendar(t.db, counter.id, day.slice(0, 7), procedure)).weeks.flat().find((cell) => cell?.date === day)?.remaining;
    expect(await remaining(hour)).toBe(1);
    expect(await remaining()).toBe(4);
  });
});
