// Invariants 1-3 under concurrency: parallel requests through the HTTP layer and parallel
// transactions against the real PostgreSQL.
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_CLERK } from '../helpers/booking.js';
import { transaction } from '../../src/db/transaction.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { addDays } from '../../src/lib/jst.js';
import { bookSlot, moveBooking } from '../../src/features/booking/index.js';
import { BookingError } from '../../src/features/booking/errors.js';
import { book, loggedInCitizen } from '../citizen/citizen-agent.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 12);
const citizen = (id: number) => ({ type: 'citizen' as const, id: String(id) });
const baseUrl = 'http://127.0.0.1';

beforeAll(async () => {
  t = await createTestApp();
});

async function slotState(slotId: number) {
  const slot = await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } });
  const active = await t.db.prisma.booking.count({ where: { slotId, status: 'active' } });
  const held = await t.db.prisma.slotHold.aggregate({ where: { slotId }, _sum: { people: true } });
  return { booked: slot.booked, capacity: slot.capacity, active, held: held._sum.people ?? 0 };
}

async function holders(count: number, counterId?: number) {
  return Promise.all(Array.from({ length: count }, () => createCardHolder(t.db, { counterId })));
}

describe('no overbooking', () => {
  it('When 50 citizens try to book a slot with 3 places at once, then exactly 3 are booked and the others are told it is full', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 3 });
    const people = await holders(50);
    const agents = await Promise.all(people.map((p) => loggedInCitizen(t.app, p.noticeId, p.mmdd)));
    const results = await Promise.all(agents.map((agent, i) => book(agent, slot.id, `p${i}@example.jp`)));
    const booked = results.filter((r) => r.status === 303 && r.headers.location === '/booking?done=booked');
    const full = results.filter((r) => r.status === 409 && r.text.includes('満員になりました'));
    expect(booked).toHaveLength(3);
    expect(full).toHaveLength(47);
    expect(await slotState(slot.id)).toMatchObject({ booked: 3, active: 3, held: 0 });
    expect(await t.db.prisma.outboxMessage.count({ where: { kind: 'booking.confirmation', toAddress: { startsWith: 'p' } } })).toBe(3);
  });

  it('When families of two race for a slot with 5 places, then whole families only are booked and booked never exceeds capacity', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 5 });
    const people = await holders(20);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        transaction(t.db, citizen(i), (tx) =>
          bookSlot(tx, { slotId: slot.id, cardHolderIds: [people[2 * i].holder.id, people[2 * i + 1].holder.id], channel: 'web', email: 'f@example.jp', baseUrl, by: null }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as BookingError).code).toBe('slot_full');
    expect(await slotState(slot.id)).toMatchObject({ booked: 4, active: 4 });
  });

  it('When moves into a slot race new bookings for it, then the slot is never overbooked and every booking keeps a place', async () => {
    const counter = await createCounter(t.db);
    const target = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 10 * 60, capacity: 3 });
    const source = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 11 * 60, capacity: 10 });
    const movers = await holders(6);
    const newcomers = await holders(6);
    const existing = [];
    for (const [i, m] of movers.entries())
      existing.push(
        await transaction(t.db, citizen(i), (tx) => bookSlot(tx, { slotId: source.id, cardHolderIds: [m.holder.id], channel: 'web', email: 'm@example.jp', baseUrl, by: null })),
      );
    const attempts = [
      ...existing.map((group, i) => transaction(t.db, citizen(i), (tx) => moveBooking(tx, { bookingId: group.bookings[0].id, toSlotId: target.id, baseUrl, by: null }))),
      ...newcomers.map((n, i) =>
        transaction(t.db, citizen(100 + i), (tx) => bookSlot(tx, { slotId: target.id, cardHolderIds: [n.holder.id], channel: 'web', email: 'n@example.jp', baseUrl, by: null })),
      ),
    ];
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(await slotState(target.id)).toMatchObject({ booked: 3, active: 3 });
    const sourceState = await slotState(source.id);
    expect(sourceState.booked).toBe(sourceState.active);
    // Every mover still has exactly one active booking, in one of the two slots.
    for (const m of movers) expect(await t.db.prisma.booking.count({ where: { cardHolderId: m.holder.id, status: 'active' } })).toBe(1);
  });
});

describe('one active booking per card holder', () => {
  it('When the same citizen books in two sessions at once, then exactly one booking exists', async () => {
    const counter = await createCounter(t.db);
    const slotA = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 13 * 60, capacity: 5 });
    const slotB = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 14 * 60, capacity: 5 });
    const { holder, noticeId, mmdd } = await createCardHolder(t.db);
    const [first, second] = await Promise.all([loggedInCitizen(t.app, noticeId, mmdd), loggedInCitizen(t.app, noticeId, mmdd)]);
    await Promise.all([book(first, slotA.id), book(second, slotB.id)]);
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: holder.id, status: 'active' } })).toBe(1);
    const [a, b] = [await slotState(slotA.id), await slotState(slotB.id)];
    expect(a.booked + b.booked).toBe(1);
    expect(a.held + b.held).toBe(0);
  });

  it('When ten direct bookings for one card holder run at once, then one succeeds and the others are refused as already booked', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 15 * 60, capacity: 20 });
    const { holder } = await createCardHolder(t.db);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        transaction(t.db, { type: 'staff', id: '1' }, (tx) =>
          bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', email: 'x@example.jp', baseUrl, by: TEST_CLERK }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as BookingError).code).toBe('already_booked');
    expect(await slotState(slot.id)).toMatchObject({ booked: 1, active: 1 });
  });
});

describe('email in the same transaction (outbox)', () => {
  it('When a family booking fails because one card was already handed over, then nothing is booked and no email is queued', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 16 * 60, capacity: 5 });
    const ok = await createCardHolder(t.db);
    const done = await createCardHolder(t.db, { status: 'handed_over' });
    await expect(
      transaction(t.db, citizen(1), (tx) =>
        bookSlot(tx, { slotId: slot.id, cardHolderIds: [ok.holder.id, done.holder.id], channel: 'web', email: 'fail@example.jp', baseUrl, by: null }),
      ),
    ).rejects.toMatchObject({ code: 'card_not_bookable' });
    expect(await t.db.prisma.outboxMessage.count({ where: { toAddress: 'fail@example.jp' } })).toBe(0);
    expect(await slotState(slot.id)).toMatchObject({ booked: 0, active: 0 });
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: ok.holder.id } })).status).toBe('notice_sent');
  });

  it('When a booking commits, then its confirmation email is in the outbox; a full slot leaves none', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 9 * 60 + 30, capacity: 1 });
    const [a, b] = await holders(2);
    const group = await transaction(t.db, citizen(1), (tx) =>
      bookSlot(tx, { slotId: slot.id, cardHolderIds: [a.holder.id], channel: 'web', email: 'first@example.jp', baseUrl, by: null }),
    );
    await expect(
      transaction(t.db, citizen(2), (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [b.holder.id], channel: 'web', email: 'second@example.jp', baseUrl, by: null })),
    ).rejects.toMatchObject({ code: 'slot_full' });
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: group.bookings[0].id, toAddress: 'first@example.jp' } })).toBe(1);
    expect(await t.db.prisma.outboxMessage.count({ where: { toAddress: 'second@example.jp' } })).toBe(0);
  });
});
