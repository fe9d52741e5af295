// The journal the booking commands write (booking_events): an event only for a change that
// committed, a move where it went and from where, the nightly no-shows, and the migration's
// backfill, which gives the bookings made before the journal the events their rows imply.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot, cancelBooking, checkIn, handOver, markNoShow, markPastBookingsNoShow, moveBooking } from '../../src/features/booking/index.js';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const baseUrl = 'http://127.0.0.1';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

const book = (slotId: number, holderId: number) =>
  inTx(t.db, (tx) => bookSlot(tx, { slotId, cardHolderIds: [holderId], channel: 'phone', email: null, by: TEST_CLERK, baseUrl }), STAFF_ACTOR);

const eventsOf = (bookingId: number) =>
  t.db.query<{ kind: string; day: string; slotDate: string; counterId: number; fromSlotId: number | null; channel: string }>(
    `SELECT kind::text, day::text, slot_date::text AS "slotDate", counter_id AS "counterId", from_slot_id AS "fromSlotId", channel::text FROM booking_events WHERE booking_id = $1 ORDER BY id`,
    [bookingId],
  );

describe('booking journal', () => {
  it('When a booking is refused because its slot is full, then no event is written', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 3), capacity: 1 });
    await book(slot.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id);
    await expect(book(slot.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id)).rejects.toThrow();
    const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM booking_events WHERE counter_id = $1`, [counter.id]);
    expect(n).toBe(1);
  });

  it('When a booking is moved to another counter, then the move names the new counter and day and the slot it came from, on the day it was done', async () => {
    const [from, to] = [await createCounter(t.db), await createCounter(t.db)];
    const first = await createSlot(t.db, { counterId: from.id, date: addDays(today, 3) });
    const second = await createSlot(t.db, { counterId: to.id, date: addDays(today, 4) });
    const group = await book(first.id, (await createCardHolder(t.db, { counterId: from.id })).holder.id);
    await inTx(t.db, (tx) => moveBooking(tx, { bookingId: group.bookings[0].id, toSlotId: second.id, by: TEST_CLERK, baseUrl }), STAFF_ACTOR);
    expect(await eventsOf(group.bookings[0].id)).toEqual([
      { kind: 'booked', day: today, slotDate: addDays(today, 3), counterId: from.id, fromSlotId: null, channel: 'phone' },
      { kind: 'moved', day: today, slotDate: addDays(today, 4), counterId: to.id, fromSlotId: first.id, channel: 'phone' },
    ]);
  });

  it('When the nightly job marks yesterday’s unvisited bookings, then each gets a no-show dated the night it ran', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 1) });
    const group = await book(slot.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id);
    const night = jstInstant(addDays(today, 2), 120);
    await inTx(t.db, (tx) => markPastBookingsNoShow(tx, night));
    expect((await eventsOf(group.bookings[0].id)).map((event) => [event.kind, event.day])).toEqual([
      ['booked', today],
      ['no_show', addDays(today, 2)],
    ]);
  });

  const kindsAt = async (counterId: number) =>
    (await t.db.query<{ kind: string }>(`SELECT kind::text FROM booking_events WHERE counter_id = $1 ORDER BY id`, [counterId])).map((row) => row.kind);

  it('When five people book the last place at once, then one booking is made and the journal holds one booked event', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 3), capacity: 1 });
    const holders = await Promise.all(Array.from({ length: 5 }, async () => (await createCardHolder(t.db, { counterId: counter.id })).holder.id));
    const results = await Promise.allSettled(holders.map((holderId) => book(slot.id, holderId)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(await kindsAt(counter.id)).toEqual(['booked']);
  });

  it('When the same booking is cancelled, checked in or marked a no-show several times at once, then only the change that happened is in the journal, once', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 9 * 60, capacity: 3 });
    const [cancelled, visited] = [
      (await book(slot.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id)).bookings[0].id,
      (await book(slot.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id)).bookings[0].id,
    ];
    const cancels = await Promise.allSettled(
      Array.from({ length: 4 }, () => inTx(t.db, (tx) => cancelBooking(tx, { bookingId: cancelled, by: TEST_CLERK, baseUrl, now }), STAFF_ACTOR)),
    );
    expect(cancels.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const visits = await Promise.allSettled([
      ...Array.from({ length: 3 }, () => inTx(t.db, (tx) => checkIn(tx, { bookingId: visited, by: TEST_CLERK, now }), STAFF_ACTOR)),
      ...Array.from({ length: 2 }, () => inTx(t.db, (tx) => markNoShow(tx, { bookingId: visited, by: TEST_CLERK, now }), STAFF_ACTOR)),
    ]);
    expect(visits.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const [visitEvent] = (await eventsOf(visited)).slice(1);
    expect(['checked_in', 'no_show']).toContain(visitEvent?.kind);
    expect((await eventsOf(cancelled)).map((event) => event.kind)).toEqual(['booked', 'cancelled']);
    expect((await eventsOf(visited)).map((event) => event.kind)).toEqual(['booked', visitEvent!.kind]);
  });

  it('When the same booking is moved to three slots at once, then each move that committed is in the journal once and the last names where the booking is', async () => {
    const counter = await createCounter(t.db);
    const first = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 3) });
    const targets = await Promise.all([4, 5, 6].map((days) => createSlot(t.db, { counterId: counter.id, date: addDays(today, days) })));
    const bookingId = (await book(first.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id)).bookings[0].id;
    const moves = await Promise.allSettled(targets.map((target) => inTx(t.db, (tx) => moveBooking(tx, { bookingId, toSlotId: target.id, by: TEST_CLERK, baseUrl }), STAFF_ACTOR)));
    const moved = (await eventsOf(bookingId)).filter((event) => event.kind === 'moved');
    expect(moved).toHaveLength(moves.filter((result) => result.status === 'fulfilled').length);
    const [{ slotDate }] = await t.db.query<{ slotDate: string }>(`SELECT s.date::text AS "slotDate" FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = $1`, [
      bookingId,
    ]);
    expect(moved.at(-1)?.slotDate).toBe(slotDate);
    expect(new Set(moved.map((event) => event.fromSlotId)).size).toBe(moved.length);
  });

  it('When the migration’s backfill runs over bookings made through the commands, then it gives the same booked, cancelled and visit events', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 9 * 60, capacity: 5 });
    const ids: number[] = [];
    for (let n = 0; n < 4; n++) ids.push((await book(slot.id, (await createCardHolder(t.db, { counterId: counter.id })).holder.id)).bookings[0].id);
    await inTx(t.db, (tx) => cancelBooking(tx, { bookingId: ids[0], by: TEST_CLERK, baseUrl, now }), STAFF_ACTOR);
    await inTx(t.db, (tx) => checkIn(tx, { bookingId: ids[1], by: TEST_CLERK, now }), STAFF_ACTOR);
    await inTx(t.db, (tx) => handOver(tx, { bookingId: ids[2], by: TEST_CLERK, now }), STAFF_ACTOR);
    await inTx(t.db, (tx) => checkIn(tx, { bookingId: ids[3], by: TEST_CLERK, now }), STAFF_ACTOR);
    await inTx(t.db, (tx) => handOver(tx, { bookingId: ids[3], by: TEST_CLERK, now }), STAFF_ACTOR);
    const kinds = async () =>
      (
        await t.db.query<{ id: number; kind: string }>(`SELECT booking_id AS id, kind::text FROM booking_events WHERE booking_id = ANY($1::int[]) ORDER BY booking_id, kind`, [ids])
      ).map((row) => `${ids.indexOf(row.id)}:${row.kind}`);
    const written = await kinds();
    expect(written).toEqual(['0:booked', '0:cancelled', '1:booked', '1:checked_in', '2:booked', '2:handed_over', '3:booked', '3:checked_in', '3:handed_over']);
    const migration = await readFile(path.join('prisma/migrations/20261203143253_booking_events/migration.sql'), 'utf8');
    const backfill = migration.slice(migration.indexOf('INSERT INTO "booking_events"'), migration.indexOf(';', migration.indexOf('INSERT INTO "booking_events"')));
    await t.db.query(`DELETE FROM booking_events WHERE booking_id = ANY($1::int[])`, [ids]);
    await t.db.query(`${backfill.replace('WHERE e.happened', 'WHERE e.happened AND b.id = ANY($1::int[])')}`, [ids]);
    expect(await kinds()).toEqual(written);
  });
});
