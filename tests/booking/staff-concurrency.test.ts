// The staff paths of the booking core under concurrency: bookings on behalf that may use the
// places held back from the web, over-capacity bookings with a reason, staff moves racing with
// citizens, and two clerks (or a clerk and the nightly job) acting on one booking at once.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot, checkIn, handOver, markPastBookingsNoShow, moveBooking } from '../../src/features/booking/index.js';
import type { StaffPrincipal } from '../../src/policies/index.js';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

const { today, now } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 9);
const baseUrl = 'http://127.0.0.1';
const citizen = (id: number) => ({ type: 'citizen' as const, id: String(id) });
const staff = { type: 'staff' as const, id: '0' };
const OPERATOR: StaffPrincipal = { ...TEST_CLERK, id: 1, role: 'operator' };

beforeAll(async () => {
  t = await createTestApp();
});

const people = (count: number) => Promise.all(Array.from({ length: count }, () => createCardHolder(t.db)));
const settled = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);
const refusals = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code ?? String(r.reason));

async function slotNumbers(slotId: number) {
  const slot = await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } });
  const byChannel = await t.db.prisma.booking.groupBy({ by: ['channel'], where: { slotId, status: 'active' }, _count: true });
  const channel = Object.fromEntries(byChannel.map((row) => [row.channel, row._count]));
  return { capacity: slot.capacity, booked: slot.booked, web: channel.web ?? 0, phone: channel.phone ?? 0, counter: channel.counter ?? 0 };
}

describe('staff bookings racing citizens', () => {
  it('When 30 citizens and 10 operators book a slot of 6 places (3 held back) at once, then citizens get at most the 3 web places, nobody overbooks, and the counter matches the rows', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 6, reservedCapacity: 3 });
    const [webPeople, phonePeople] = [await people(30), await people(10)];
    const results = await settled([
      ...webPeople.map((p) => transaction(t.db, citizen(p.holder.id), (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [p.holder.id], channel: 'web', by: null, baseUrl }))),
      ...phonePeople.map((p) => transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [p.holder.id], channel: 'phone', by: OPERATOR, baseUrl }))),
    ]);
    const numbers = await slotNumbers(slot.id);
    expect(numbers.web).toBeLessThanOrEqual(3);
    expect(numbers.web + numbers.phone).toBe(6);
    expect(numbers).toMatchObject({ capacity: 6, booked: 6 });
    expect(refusals(results).every((code) => code === 'slot_full')).toBe(true);
  });

  it('When 10 clerks book into a full slot with a reason at once, then all are booked, the capacity rises by exactly 10 and each raise is audited', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 600, capacity: 2 });
    const first = await people(2);
    for (const p of first) await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [p.holder.id], channel: 'counter', by: TEST_CLERK, baseUrl }));
    const late = await people(10);
    const results = await settled(
      late.map((p) =>
        transaction(t.db, staff, (tx) =>
          bookSlot(tx, { slotId: slot.id, cardHolderIds: [p.holder.id], channel: 'counter', by: TEST_CLERK, baseUrl, overbookReason: '高齢の方の来庁' }),
        ),
      ),
    );
    expect(refusals(results)).toEqual([]);
    expect(await slotNumbers(slot.id)).toMatchObject({ capacity: 12, booked: 12, counter: 12 });
    expect(await t.db.prisma.auditLog.count({ where: { action: 'console.capacity.override', targetId: String(slot.id) } })).toBe(10);
  });

  it('When an operator asks to book into a full slot with a reason, then it is refused and nothing changes', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 660, capacity: 1 });
    const [a, b] = await people(2);
    await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [a.holder.id], channel: 'phone', by: OPERATOR, baseUrl }));
    await expect(
      transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [b.holder.id], channel: 'phone', by: OPERATOR, baseUrl, overbookReason: 'x' })),
    ).rejects.toMatchObject({ code: 'overbook_forbidden', status: 403 });
    expect(await slotNumbers(slot.id)).toMatchObject({ capacity: 1, booked: 1 });
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: b.holder.id } })).toBe(0);
  });

  it('When staff move 5 bookings into a slot while 10 citizens book it, then the slot never passes its capacity and every moved booking keeps exactly one place', async () => {
    const counter = await createCounter(t.db);
    const [from, to] = [
      await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 720, capacity: 5 }),
      await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 780, capacity: 4 }),
    ];
    const movers = await people(5);
    const groups = [];
    for (const p of movers)
      groups.push(await transaction(t.db, citizen(p.holder.id), (tx) => bookSlot(tx, { slotId: from.id, cardHolderIds: [p.holder.id], channel: 'web', by: null, baseUrl })));
    const newcomers = await people(10);
    const results = await settled([
      ...groups.map((group) => transaction(t.db, staff, (tx) => moveBooking(tx, { bookingId: group.bookings[0].id, toSlotId: to.id, by: TEST_CLERK, baseUrl }))),
      ...newcomers.map((p) => transaction(t.db, citizen(p.holder.id), (tx) => bookSlot(tx, { slotId: to.id, cardHolderIds: [p.holder.id], channel: 'web', by: null, baseUrl }))),
    ]);
    const [source, target] = [await slotNumbers(from.id), await slotNumbers(to.id)];
    expect(target.booked).toBeLessThanOrEqual(4);
    expect(target.booked).toBe(target.web);
    expect(source.booked).toBe(source.web);
    expect(source.web + (target.web - results.slice(5).filter((r) => r.status === 'fulfilled').length)).toBe(5);
    for (const p of movers) expect(await t.db.prisma.booking.count({ where: { cardHolderId: p.holder.id, status: 'active' } })).toBe(1);
    expect(refusals(results).every((code) => code === 'slot_full')).toBe(true);
  });
});

describe('two hands on one booking', () => {
  async function bookedToday() {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: today, startMinute: 11 * 60, capacity: 5 });
    const [p] = await people(1);
    const group = await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [p.holder.id], channel: 'counter', by: TEST_CLERK, baseUrl }));
    return { bookingId: group.bookings[0].id, holderId: p.holder.id };
  }

  it('When two clerks hand the same card over at the same moment, then one succeeds, the other is told it already moved, and the card has one hand-over in its history', async () => {
    const { bookingId, holderId } = await bookedToday();
    const results = await settled([0, 1].map(() => transaction(t.db, staff, (tx) => handOver(tx, { bookingId, by: TEST_CLERK }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(refusals(results)).toEqual(['wrong_status']);
    expect(await t.db.prisma.cardStatusChange.count({ where: { cardHolderId: holderId, toStatus: 'handed_over' } })).toBe(1);
  });

  it('When a clerk checks a person in while another hands the card over, then the booking ends handed over either way and the card says so', async () => {
    const { bookingId, holderId } = await bookedToday();
    await settled([transaction(t.db, staff, (tx) => checkIn(tx, { bookingId, by: TEST_CLERK })), transaction(t.db, staff, (tx) => handOver(tx, { bookingId, by: TEST_CLERK }))]);
    const booking = await t.db.prisma.booking.findUniqueOrThrow({ where: { id: bookingId } });
    const card = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holderId } });
    expect(booking.status).toBe('handed_over');
    expect(card.status).toBe('handed_over');
  });

  it('When the nightly no-show job runs while a clerk hands over a booking of a past day, then the booking is either handed over or a no-show, and the card agrees', async () => {
    const counter = await createCounter(t.db);
    const yesterday = addDays(today, -1);
    const slot = await t.db.prisma.slot.create({
      data: { counterId: counter.id, date: new Date(`${yesterday}T00:00:00Z`), startsAt: jstInstant(yesterday, 600), endsAt: jstInstant(yesterday, 630), capacity: 20, booked: 0 },
    });
    const ps = await people(10);
    const ids = [];
    for (const p of ps)
      ids.push(
        (await transaction(t.db, staff, (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [p.holder.id], channel: 'counter', by: TEST_CLERK, baseUrl }))).bookings[0].id,
      );
    await settled<unknown>([
      transaction(t.db, { type: 'system', id: 'past-bookings' }, (tx) => markPastBookingsNoShow(tx, now)),
      ...ids.map((bookingId) => transaction(t.db, staff, (tx) => handOver(tx, { bookingId, by: TEST_CLERK, otherDayConfirmed: true }))),
    ]);
    const rows = await t.db.prisma.booking.findMany({ where: { id: { in: ids } }, include: { cardHolder: true } });
    for (const row of rows) {
      expect(['handed_over', 'no_show']).toContain(row.status);
      expect(row.cardHolder!.status).toBe(row.status === 'handed_over' ? 'handed_over' : 'notice_sent');
    }
  });
});
