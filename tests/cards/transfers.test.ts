// Card transfers raised and called off by the booking commands (issue 19.1): a card booked at a
// site other than where it is stored is asked for there, in the booking's own transaction.
import { describe, expect, it } from 'vitest';
import { bookSlot, cancelBooking, handOver, markNoShow, moveBooking } from '../../src/features/booking/index.js';
import { requestTransfer, cancelTransfer } from '../../src/features/cards/logistics/transfers.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { logisticsScene } from '../helpers/logistics.js';

const { t, day, baseUrl, asClerk } = logisticsScene();

/** Three sites, a card stored at the first, and a slot at each. */
async function sites() {
  const [a, b, c] = [await createCounter(t.db, { name: '本庁' }), await createCounter(t.db, { name: '北支所' }), await createCounter(t.db, { name: '南支所' })];
  const { holder } = await createCardHolder(t.db, { counterId: a.id });
  const slot = async (counterId: number) => (await createSlot(t.db, { counterId, date: day })).id;
  return { a, b, c, holder, slots: { a: await slot(a.id), b: await slot(b.id), c: await slot(c.id) } };
}

const book = (slotId: number, cardHolderId: number) =>
  asClerk((tx) => bookSlot(tx, { slotId, cardHolderIds: [cardHolderId], channel: 'phone', by: TEST_CLERK, baseUrl })).then((group) => group.bookings[0].id);
const transfersOf = (cardHolderId: number) => t.db.prisma.cardTransfer.findMany({ where: { cardHolderId }, orderBy: { id: 'asc' } });

describe('transfers raised by bookings', () => {
  it('When a card stored at one site is booked at another, then a transfer from its site to the booked one is requested for that booking', async () => {
    const { a, b, holder, slots } = await sites();
    const bookingId = await book(slots.b, holder.id);
    expect(await transfersOf(holder.id)).toMatchObject([{ fromCounterId: a.id, toCounterId: b.id, status: 'requested', reason: 'booking', bookingId, requestedBy: 'staff:0' }]);
  });

  it('When a card is booked where it is stored, or for a procedure that does not hand over the stored card, then nothing is requested', async () => {
    const { b, holder, slots } = await sites();
    await book(slots.a, holder.id);
    expect(await transfersOf(holder.id)).toEqual([]);
    const other = await createCardHolder(t.db, { counterId: holder.counterId! });
    const renewal = await offerProcedure(t.db, b.id, { needsStoredCard: false });
    await asClerk((tx) => bookSlot(tx, { slotId: slots.b, cardHolderIds: [other.holder.id], procedure: renewal, channel: 'phone', by: TEST_CLERK, baseUrl }));
    expect(await transfersOf(other.holder.id)).toEqual([]);
  });

  it('When the booking moves back to the card’s site, then the requested transfer is cancelled; moved to a third site, then it is replaced by one to that site', async () => {
    const { a, c, holder, slots } = await sites();
    const bookingId = await book(slots.b, holder.id);
    await asClerk((tx) => moveBooking(tx, { bookingId, toSlotId: slots.a, by: TEST_CLERK, baseUrl }));
    expect(await transfersOf(holder.id)).toMatchObject([{ status: 'cancelled', closeReason: 'booking_moved', cancelledBy: 'staff:0' }]);
    await asClerk((tx) => moveBooking(tx, { bookingId, toSlotId: slots.c, by: TEST_CLERK, baseUrl }));
    const [, second] = await transfersOf(holder.id);
    expect(second).toMatchObject({ fromCounterId: a.id, toCounterId: c.id, status: 'requested', bookingId });
    await asClerk((tx) => moveBooking(tx, { bookingId, toSlotId: slots.b, by: TEST_CLERK, baseUrl }));
    expect((await transfersOf(holder.id)).map((row) => row.status)).toEqual(['cancelled', 'cancelled', 'requested']);
  });

  it('When the booking is cancelled or the person does not come, then its requested transfer is cancelled', async () => {
    const { holder, slots } = await sites();
    const bookingId = await book(slots.b, holder.id);
    await asClerk((tx) => cancelBooking(tx, { bookingId, by: TEST_CLERK, baseUrl }));
    expect(await transfersOf(holder.id)).toMatchObject([{ status: 'cancelled', closeReason: 'booking_ended' }]);
    const again = await book(slots.b, holder.id);
    await asClerk((tx) => markNoShow(tx, { bookingId: again, by: TEST_CLERK }));
    expect((await transfersOf(holder.id)).map((row) => [row.status, row.closeReason])).toEqual([
      ['cancelled', 'booking_ended'],
      ['cancelled', 'booking_ended'],
    ]);
  });

  it('When a shipped card’s booking is cancelled, then the transfer stays in transit; when the card is handed over, then nothing stays open', async () => {
    const { b, holder, slots } = await sites();
    const bookingId = await book(slots.b, holder.id);
    const [transfer] = await transfersOf(holder.id);
    const shipment = await t.db.prisma.shipment.create({ data: { fromCounterId: transfer.fromCounterId, toCounterId: b.id, createdBy: 'staff:0' } });
    await t.db.prisma.cardTransfer.update({ where: { id: transfer.id }, data: { status: 'shipped', shipmentId: shipment.id, shippedAt: new Date(), shippedBy: 'staff:0' } });
    await asClerk((tx) => cancelBooking(tx, { bookingId, by: TEST_CLERK, baseUrl }));
    expect(await transfersOf(holder.id)).toMatchObject([{ status: 'shipped' }]);
    const next = await book(slots.b, holder.id);
    await asClerk((tx) => handOver(tx, { bookingId: next, by: TEST_CLERK, otherDayConfirmed: true }));
    expect(await transfersOf(holder.id)).toMatchObject([{ status: 'received', closeReason: 'handed_over' }]);
    expect(await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } })).toMatchObject({ counterId: b.id, status: 'handed_over' });
  });

  it('When a card is handed over at another site before its transfer was shipped, then the requested transfer is closed', async () => {
    const { holder, slots } = await sites();
    const bookingId = await book(slots.b, holder.id);
    await asClerk((tx) => handOver(tx, { bookingId, by: TEST_CLERK, otherDayConfirmed: true }));
    expect(await transfersOf(holder.id)).toMatchObject([{ status: 'cancelled', closeReason: 'handed_over' }]);
  });
});

describe('transfers asked for by a clerk', () => {
  it('When a clerk asks for a card at another site, then a clerk’s transfer is requested; a second request, or one for a card booked elsewhere, is refused', async () => {
    const { a, b, c, holder, slots } = await sites();
    const id = await asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: c.id, by: TEST_CLERK }));
    expect(await transfersOf(holder.id)).toMatchObject([{ id, fromCounterId: a.id, toCounterId: c.id, reason: 'clerk', bookingId: null }]);
    await expect(asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: b.id, by: TEST_CLERK }))).rejects.toMatchObject({
      status: 409,
      code: 'transfer_open',
    });
    await expect(asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: a.id, by: TEST_CLERK }))).rejects.toMatchObject({ status: 400, code: 'same_site' });
    await asClerk((tx) => cancelTransfer(tx, { transferId: id, by: TEST_CLERK }));
    await book(slots.b, holder.id);
    await expect(asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: c.id, by: TEST_CLERK }))).rejects.toMatchObject({
      status: 409,
      code: 'transfer_open',
    });
  });

  it('When a card with a clerk’s request is booked at another site, then the booking’s transfer replaces it; a clerk may not cancel a booking’s transfer', async () => {
    const { b, c, holder, slots } = await sites();
    await asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: c.id, by: TEST_CLERK }));
    await book(slots.b, holder.id);
    const [clerks, bookings] = await transfersOf(holder.id);
    expect(clerks).toMatchObject({ status: 'cancelled', closeReason: 'booking_moved' });
    expect(bookings).toMatchObject({ toCounterId: b.id, status: 'requested', reason: 'booking' });
    await expect(asClerk((tx) => cancelTransfer(tx, { transferId: bookings.id, by: TEST_CLERK }))).rejects.toMatchObject({ status: 409, code: 'not_cancellable' });
  });

  it('When a clerk limited to other sites asks for a card, then it is refused with a 403', async () => {
    const { b, holder } = await sites();
    const other = await createCounter(t.db);
    const limited = { ...TEST_CLERK, role: 'staff' as const, counterIds: [other.id] };
    await expect(asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: b.id, by: limited }))).rejects.toMatchObject({ status: 403 });
    const atDestination = { ...limited, counterIds: [b.id] };
    await expect(asClerk((tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: b.id, by: atDestination }))).resolves.toBeGreaterThan(0);
  });
});
