// holdSlot and bookSlot run in the caller's transaction (one driver: Prisma's models and plain
// SQL on the same connection), so they compose: every row of a booking commits or rolls back
// together, and slots.booked stays equal to bookings + holds.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { addDays } from '../../src/lib/jst.js';
import { bookSlot, holdSlot } from '../../src/features/booking/index.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
const day = addDays(today, 13);
const baseUrl = 'http://127.0.0.1';
const actor = { type: 'staff' as const, id: '7' };

beforeAll(async () => {
  t = await createTestApp();
});

async function rowsOf(cardHolderId: number) {
  const bookings = await t.db.prisma.booking.findMany({ where: { cardHolderId } });
  const codes = bookings.map((booking) => booking.code);
  return {
    bookings: bookings.length,
    history: (await t.db.prisma.cardStatusChange.findMany({ where: { cardHolderId }, orderBy: { id: 'asc' } })).map((row) => `${row.fromStatus}>${row.toStatus}`),
    status: (await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: cardHolderId } })).status,
    mails: await t.db.prisma.outboxMessage.count({ where: { bookingId: { in: bookings.map((booking) => booking.id) } } }),
    audits: await t.db.prisma.auditLog.count({ where: { action: 'booking.create', targetId: { in: codes } } }),
  };
}

const slotBooked = async (slotId: number) => (await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } })).booked;

describe('booking inside a caller transaction', () => {
  it('When a hold and its booking run in a caller transaction that commits, then the booking, card history, email and audit row are all there', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, capacity: 2 });
    const { holder } = await createCardHolder(t.db);
    const group = await transaction(t.db, actor, async (tx) => {
      await holdSlot(tx, { slotId: slot.id, cardHolderId: holder.id, minutes: 10 });
      return bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', email: 'tx@example.jp', by: null, baseUrl });
    });
    expect(group.bookings).toHaveLength(1);
    expect(await rowsOf(holder.id)).toEqual({ bookings: 1, history: ['notice_sent>booked'], status: 'booked', mails: 1, audits: 1 });
    expect(await slotBooked(slot.id)).toBe(1);
    expect(await t.db.prisma.slotHold.count({ where: { cardHolderId: holder.id } })).toBe(0);
  });

  it('When the caller transaction rolls back after booking, then nothing of the booking remains and the place is free', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 11 * 60, capacity: 2 });
    const { holder } = await createCardHolder(t.db);
    await expect(
      transaction(t.db, actor, async (tx) => {
        await bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'phone', email: 'rollback@example.jp', by: null, baseUrl });
        throw new Error('caller gives up');
      }),
    ).rejects.toThrow('caller gives up');
    expect(await rowsOf(holder.id)).toEqual({ bookings: 0, history: [], status: 'notice_sent', mails: 0, audits: 0 });
    expect(await slotBooked(slot.id)).toBe(0);
  });
});

describe('booking a family', () => {
  it('When a family with a card that only arrived books, then each gets a booking in one group, the arrived card goes through notice_sent, and one email is queued', async () => {
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 14 * 60, capacity: 3 });
    const [first, second] = [await createCardHolder(t.db), await createCardHolder(t.db, { status: 'card_arrived' })];
    const group = await transaction(t.db, actor, (tx) =>
      bookSlot(tx, { slotId: slot.id, cardHolderIds: [first.holder.id, second.holder.id], channel: 'counter', email: 'family@example.jp', baseUrl, by: null }),
    );
    expect(group.bookings.map((booking) => booking.cardHolderId)).toEqual([first.holder.id, second.holder.id]);
    expect(group.groupCode).toBe(group.bookings[0].code);
    const members = await t.db.prisma.booking.findMany({ where: { slotId: slot.id } });
    expect(members.map((member) => member.groupCode)).toEqual([group.groupCode, group.groupCode]);
    expect(await rowsOf(second.holder.id)).toMatchObject({ bookings: 1, history: ['card_arrived>notice_sent', 'notice_sent>booked'], status: 'booked' });
    expect(await t.db.prisma.outboxMessage.count({ where: { toAddress: 'family@example.jp' } })).toBe(1);
    expect(await slotBooked(slot.id)).toBe(2);
  });
});
