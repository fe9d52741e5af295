// The counter floor (issue 18): numbered tickets for booked visitors (at check-in) and walk-ins,
// calling them to windows, and the figures the day's queue leaves.
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot, checkIn, handOver } from '../../src/features/booking/index.js';
import { floorNow, queueStats } from '../../src/features/floor/queue.js';
import { saveRange, ticketNumber } from '../../src/features/floor/ranges.js';
import { callNext, issueWalkIn, moveTicket } from '../../src/features/floor/tickets.js';
import type { StaffPrincipal } from '../../src/features/staff/access.js';
import { AppError } from '../../src/lib/app-error.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const minutesLater = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const asClerk = <T>(work: Parameters<typeof inTx<T>>[1]) => inTx(t.db, work, STAFF_ACTOR);
const walkIn = (counterId: number, procedureCode = 'pickup', at = now) => asClerk((tx) => issueWalkIn(tx, { counterId, procedureCode, by: TEST_CLERK, now: at }));
const ticketsOf = (counterId: number) => t.db.prisma.ticket.findMany({ where: { counterId }, orderBy: { id: 'asc' } });

/** A counter with `people` booked for today's 9:00 slot. */
async function counterWithBookings(people: number, windows = 3) {
  const counter = await createCounter(t.db, { windows });
  const slot = await createSlot(t.db, { counterId: counter.id, date: today, capacity: people + 1 });
  const bookings = [];
  for (let i = 0; i < people; i++) {
    const { holder } = await createCardHolder(t.db, { counterId: counter.id, status: 'card_arrived' });
    const booked = await asClerk((tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'counter', by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }));
    bookings.push(booked.bookings[0]);
  }
  return { counter, bookings };
}

describe('tickets', () => {
  it('When 30 booked visitors are checked in and 30 walk-ins arrive at the same moment, then every ticket has its own number, A-001… and B-001… without a gap', async () => {
    const { counter, bookings } = await counterWithBookings(30);
    await Promise.all([
      ...bookings.map((booking) => asClerk((tx) => checkIn(tx, { bookingId: booking.id, by: TEST_CLERK, now }))),
      ...Array.from({ length: 30 }, () => walkIn(counter.id)),
    ]);
    const tickets = await ticketsOf(counter.id);
    const numbers = (kind: string) =>
      tickets
        .filter((ticket) => ticket.kind === kind)
        .map((ticket) => ticket.number)
        .sort();
    const expected = (prefix: string) => Array.from({ length: 30 }, (_, i) => `${prefix}-${String(i + 1).padStart(3, '0')}`);
    expect(numbers('booked')).toEqual(expected('A'));
    expect(numbers('walk_in')).toEqual(expected('B'));
    expect(new Set(tickets.map((ticket) => ticket.token)).size).toBe(60);
    expect(tickets.filter((ticket) => ticket.kind === 'booked').every((ticket) => ticket.bookingId !== null)).toBe(true);
  });

  it("When an admin sets a counter's ranges, then its queues print them and start again after the last number", async () => {
    const counter = await createCounter(t.db);
    await asClerk(async (tx) => {
      await saveRange(tx, counter.id, 'walk_in', { prefix: 'W', firstNumber: 101, lastNumber: 103 });
    });
    const numbers = [];
    for (let i = 0; i < 4; i++) numbers.push((await walkIn(counter.id)).number);
    expect(numbers).toEqual(['W-101', 'W-102', 'W-103', 'W-101']);
    expect(ticketNumber({ prefix: '', firstNumber: 1, lastNumber: 9999 }, 12)).toBe('0012');
  });

  it('When a walk-in asks for a procedure the counter does not offer, then no ticket is issued and the reason is given', async () => {
    const counter = await createCounter(t.db);
    const elsewhere = await createCounter(t.db);
    const code = await offerProcedure(t.db, elsewhere.id);
    await expect(walkIn(counter.id, code)).rejects.toMatchObject({ status: 400, messageKey: 'floor.error.procedureNotOffered' });
    expect(await ticketsOf(counter.id)).toEqual([]);
  });

  it('When the next day begins, then the numbers start again at A-001', async () => {
    const counter = await createCounter(t.db);
    expect((await walkIn(counter.id)).number).toBe('B-001');
    expect((await walkIn(counter.id, 'pickup', minutesLater(24 * 60))).number).toBe('B-001');
  });
});

describe('calling', () => {
  it('When 8 windows call the next ticket at the same moment with 5 waiting, then 5 different tickets are called, each once, in the order they were issued, and 3 windows hear nobody waits', async () => {
    const counter = await createCounter(t.db, { windows: 8 });
    for (let i = 0; i < 5; i++) await walkIn(counter.id, 'pickup', minutesLater(i - 10));
    const calls = await Promise.all(Array.from({ length: 8 }, (_, i) => asClerk((tx) => callNext(tx, { counterId: counter.id, window: i + 1, by: TEST_CLERK, now }))));
    const called = calls.filter((call) => call !== null).map((call) => call.number);
    expect(called.sort()).toEqual(['B-001', 'B-002', 'B-003', 'B-004', 'B-005']);
    expect(calls.filter((call) => call === null)).toHaveLength(3);
    const tickets = await ticketsOf(counter.id);
    expect(tickets.every((ticket) => ticket.status === 'called' && ticket.calls === 1)).toBe(true);
    expect(new Set(tickets.map((ticket) => ticket.window)).size).toBe(5);
  });

  it('When two windows call the same chosen ticket at the same moment, then one calls it and the other is told it is called already', async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const ticket = await walkIn(counter.id);
    const results = await Promise.allSettled([1, 2].map((window) => asClerk((tx) => moveTicket(tx, { ticketId: ticket.id, move: 'call', window, by: TEST_CLERK, now }))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(AppError);
    expect(refused.reason).toMatchObject({ status: 409, messageKey: 'floor.error.wrongStatus.call' });
    const [row] = await ticketsOf(counter.id);
    expect(row).toMatchObject({ status: 'called', calls: 1 });
  });

  it('When a window calls the next one, then the one it called before is served; a recall counts; absent and served end a ticket; an absent visitor can be called again', async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const first = await walkIn(counter.id, 'pickup', minutesLater(-5));
    const second = await walkIn(counter.id, 'pickup', minutesLater(-4));
    await asClerk((tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK, now }));
    await asClerk((tx) => moveTicket(tx, { ticketId: first.id, move: 'recall', by: TEST_CLERK, now: minutesLater(1) }));
    await asClerk((tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK, now: minutesLater(4) }));
    const [one, two] = await ticketsOf(counter.id);
    expect(one).toMatchObject({ status: 'served', calls: 2 });
    expect(one.finishedAt).toEqual(minutesLater(4));
    expect(two).toMatchObject({ status: 'called', window: 1 });
    await asClerk((tx) => moveTicket(tx, { ticketId: second.id, move: 'absent', by: TEST_CLERK, now: minutesLater(6) }));
    await expect(asClerk((tx) => moveTicket(tx, { ticketId: second.id, move: 'recall', by: TEST_CLERK, now }))).rejects.toMatchObject({ status: 409 });
    await asClerk((tx) => moveTicket(tx, { ticketId: second.id, move: 'call', window: 2, by: TEST_CLERK, now: minutesLater(8) }));
    const [, again] = await ticketsOf(counter.id);
    expect(again).toMatchObject({ status: 'called', window: 2, calls: 2, finishedAt: null });
  });

  it('When a window number beyond the counter is asked for, or a clerk of another counter calls, then nothing is called', async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const ticket = await walkIn(counter.id);
    await expect(asClerk((tx) => callNext(tx, { counterId: counter.id, window: 3, by: TEST_CLERK, now }))).rejects.toMatchObject({ status: 400 });
    const stranger: StaffPrincipal = { ...TEST_CLERK, role: 'staff', counterIds: [counter.id + 1000] };
    await expect(asClerk((tx) => callNext(tx, { counterId: counter.id, window: 1, by: stranger, now }))).rejects.toMatchObject({ status: 403 });
    await expect(asClerk((tx) => moveTicket(tx, { ticketId: ticket.id, move: 'call', window: 1, by: stranger, now }))).rejects.toMatchObject({ status: 404 });
    const operator: StaffPrincipal = { ...TEST_CLERK, role: 'operator' };
    await expect(asClerk((tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: operator }))).rejects.toMatchObject({ status: 403 });
    expect((await ticketsOf(counter.id)).map((row) => row.status)).toEqual(['waiting']);
  });

  it("When a booked visitor's card is handed over, then their ticket is served", async () => {
    const { bookings, counter } = await counterWithBookings(1);
    await asClerk((tx) => checkIn(tx, { bookingId: bookings[0].id, by: TEST_CLERK, now }));
    await asClerk((tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK, now: minutesLater(2) }));
    await asClerk((tx) => handOver(tx, { bookingId: bookings[0].id, by: TEST_CLERK, now: minutesLater(9) }));
    const [ticket] = await ticketsOf(counter.id);
    expect(ticket).toMatchObject({ status: 'served', finishedAt: minutesLater(9) });
  });
});

describe('waiting time', () => {
  it('When recent visitors of a procedure took 10 minutes at the window and 2 windows call, then the 5th waiting is expected to wait 20 minutes, a newcomer 25', async () => {
    const counter = await createCounter(t.db, { windows: 4 });
    // Served earlier today at windows 1 and 2, 10 minutes each: the procedure's recent service time.
    for (const window of [1, 2]) {
      await walkIn(counter.id, 'pickup', minutesLater(-60));
      await asClerk((tx) => callNext(tx, { counterId: counter.id, window, by: TEST_CLERK, now: minutesLater(-50) }));
      await asClerk((tx) => callNext(tx, { counterId: counter.id, window, by: TEST_CLERK, now: minutesLater(-40) }));
    }
    for (let i = 0; i < 5; i++) await walkIn(counter.id, 'pickup', minutesLater(-30 + i));
    const floor = (await floorNow(t.db, counter.id, now))!;
    expect(floor.waiting.map((ticket) => ticket.waitMinutes)).toEqual([0, 5, 10, 15, 20]);
    expect(floor.waitMinutes).toBe(25);
  });

  it("When tickets were served and missed, then the day's figures count them per procedure and queue, walk-ins included", async () => {
    const { counter, bookings } = await counterWithBookings(2);
    const renewal = await offerProcedure(t.db, counter.id, { name: '電子証明書の更新' });
    for (const booking of bookings) await asClerk((tx) => checkIn(tx, { bookingId: booking.id, by: TEST_CLERK, now: minutesLater(-20) }));
    await walkIn(counter.id, renewal, minutesLater(-15));
    await asClerk((tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK, now: minutesLater(-10) }));
    await asClerk((tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK, now: minutesLater(-4) }));
    const [, second] = await ticketsOf(counter.id);
    await asClerk((tx) => moveTicket(tx, { ticketId: second.id, move: 'absent', by: TEST_CLERK, now: minutesLater(-2) }));
    const stats = await queueStats(t.db, counter.id, today);
    expect(stats).toEqual([
      { procedure: 'マイナンバーカードの受け取り', kind: 'booked', issued: 2, served: 1, absent: 1, open: 0, waitMinutes: 13, serviceMinutes: 6 },
      { procedure: '電子証明書の更新', kind: 'walk_in', issued: 1, served: 0, absent: 0, open: 1, waitMinutes: null, serviceMinutes: null },
    ]);
  });
});
