// Card transfers under concurrency (issue 19.1): the same card scanned at two receiving
// terminals at once, and bookings at another site racing with hand-overs, with moves back and
// with shipments. Each race is fired at once for many cards; afterwards every card must hold
// the invariants: at most one open transfer, none after a hand-over, and the open transfer
// (if any) going where the card's open booking is.
import { describe, expect, it } from 'vitest';
import { bookSlot, cancelBooking, handOver, moveBooking } from '../../src/features/booking/index.js';
import { receiveScan } from '../../src/features/cards/logistics/receiving.js';
import { createShipment, discardShipment, finishShipment, shipShipment } from '../../src/features/cards/logistics/shipments.js';
import { markReturned } from '../../src/features/cards/logistics/returns.js';
import { cancelTransfer, requestTransfer } from '../../src/features/cards/logistics/transfers.js';
import { countScan, finishCount, startCount } from '../../src/features/cards/logistics/stock-count.js';
import { OPEN_BOOKING_SQL } from '../../src/domain/booking-rules.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { logisticsScene } from '../helpers/logistics.js';

const { t, day, baseUrl, asClerk: run } = logisticsScene();
const CARDS = 12;
/** Each race is run this many times over (new cards each time). */
const ROUNDS = 3;
const by = TEST_CLERK;
const settled = (promises: Promise<unknown>[]) => Promise.allSettled(promises);
const refusals = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code ?? String(r.reason));

/** A center storing CARDS cards, a ward and an annex with a large slot each; each card booked at `bookedAt`. */
async function scene(bookedAt: 'center' | 'ward') {
  const center = await createCounter(t.db, { name: '交付センター' });
  const ward = await createCounter(t.db, { name: '北区役所' });
  const slots = {
    center: (await createSlot(t.db, { counterId: center.id, date: day, capacity: CARDS * 2 })).id,
    ward: (await createSlot(t.db, { counterId: ward.id, date: day, capacity: CARDS * 2 })).id,
  };
  const cards = [];
  for (let i = 0; i < CARDS; i += 1) {
    const card = await createCardHolder(t.db, { counterId: center.id });
    const group = await run((tx) => bookSlot(tx, { slotId: slots[bookedAt], cardHolderIds: [card.holder.id], channel: 'phone', by, baseUrl }));
    cards.push({ ...card, bookingId: group.bookings[0].id });
  }
  return { center, ward, slots, cards };
}

interface CardState {
  id: number;
  status: string;
  site: number;
  wanted: number | null;
  open: { status: string; to: number; reason: string }[];
}

/** Every card's status, site, open booking's site and open transfers, read after the race. */
async function states(ids: number[]): Promise<CardState[]> {
  return t.db.pool
    .query<CardState>(
      `SELECT h.id, h.status::text AS status, h.counter_id AS site,
              (SELECT s.counter_id FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.card_holder_id = h.id AND b.status IN ${OPEN_BOOKING_SQL}) AS wanted,
              (SELECT coalesce(json_agg(json_build_object('status', t.status, 'to', t.to_counter_id, 'reason', t.reason)), '[]') FROM card_transfers t
                WHERE t.card_holder_id = h.id AND t.status IN ('requested', 'shipped')) AS open
       FROM card_holders h WHERE h.id = ANY($1::int[]) ORDER BY h.id`,
      [ids],
    )
    .then((result) => result.rows);
}

/** The invariants every card holds whatever order the racing commands ran in. */
function expectConsistent(cards: CardState[]): void {
  for (const card of cards) {
    const label = `card ${card.id}: ${JSON.stringify(card)}`;
    expect(card.open.length, label).toBeLessThanOrEqual(1);
    expect(card.status === 'booked', label).toBe(card.wanted !== null);
    if (card.status === 'handed_over') expect(card.open, label).toEqual([]);
    const [open] = card.open;
    if (open?.status === 'shipped') continue;
    if (card.wanted !== null && card.wanted !== card.site) expect(open, label).toMatchObject({ status: 'requested', to: card.wanted, reason: 'booking' });
    else expect(open, label).toBeUndefined();
  }
}

describe('receiving races', () => {
  it('When every card of a shipment is scanned at two receiving terminals at once, then each is received once and the other terminal is told it already was', async () => {
    const { center, ward, cards } = await scene('ward');
    const shipmentId = await run((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    await run((tx) => shipShipment(tx, { shipmentId, by }));
    const scans = cards.flatMap((card) => [0, 1].map((terminal) => run((tx) => receiveScan(tx, { siteId: ward.id, noticeId: card.noticeId, storagePlace: `棚${terminal}`, by }))));
    const answers = await Promise.all(scans);
    for (let i = 0; i < cards.length; i += 1)
      expect(
        answers
          .slice(i * 2, i * 2 + 2)
          .map((answer) => answer.kind)
          .sort(),
      ).toEqual(['already_received', 'received']);
    const audits = await t.db.prisma.auditLog.count({ where: { action: 'logistics.receive', targetId: { in: cards.map((card) => String(card.holder.id)) } } });
    expect(audits).toBe(CARDS);
    expect(await t.db.prisma.cardTransfer.count({ where: { shipmentId, status: 'received' } })).toBe(CARDS);
    expectConsistent(await states(cards.map((card) => card.holder.id)));
  });
});

describe('stock count races', () => {
  it('When every card of a site is scanned at three terminals at once while the count is finished, then each card is one scan row and the finish counts what came before it', async () => {
    const { center, cards } = await scene('center');
    const countId = await run((tx) => startCount(tx, { siteId: center.id, by }));
    const scans = cards.flatMap((card) => [0, 1, 2].map(() => run((tx) => countScan(tx, { countId, noticeId: card.noticeId, by }))));
    const results = await settled([...scans, run((tx) => finishCount(tx, { countId, by }))]);
    expect(
      refusals(results).every((code) => code === 'count_finished'),
      refusals(results).join(),
    ).toBe(true);
    const rows = await t.db.prisma.stockCountScan.findMany({ where: { stockCountId: countId } });
    expect(new Set(rows.map((row) => row.cardHolderId)).size).toBe(rows.length);
    const accepted = results.slice(0, scans.length).filter((result) => result.status === 'fulfilled').length;
    expect(rows.reduce((sum, row) => sum + row.times, 0)).toBe(accepted);
    const count = await t.db.prisma.stockCount.findUniqueOrThrow({ where: { id: countId } });
    const missing = await t.db.prisma.stockCountFinding.count({ where: { stockCountId: countId, kind: 'missing' } });
    expect(count).toMatchObject({ status: 'finished', expected: CARDS, scanned: rows.length });
    expect(missing).toBe(CARDS - rows.length);
  });
});

describe('bookings racing with hand-overs, moves back and shipments', () => {
  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'When each booking is moved to another site at the moment it is handed over (round %i), then no transfer stays open after a hand-over',
    async () => {
      const { slots, cards } = await scene('center');
      const results = await settled(
        cards.flatMap((card) => [
          run((tx) => moveBooking(tx, { bookingId: card.bookingId, toSlotId: slots.ward, by, baseUrl })),
          run((tx) => handOver(tx, { bookingId: card.bookingId, by, otherDayConfirmed: true })),
        ]),
      );
      expect(
        refusals(results).every((code) => ['booking_not_found', 'wrong_status'].includes(code)),
        refusals(results).join(),
      ).toBe(true);
      const after = await states(cards.map((card) => card.holder.id));
      expect(after.every((card) => card.status === 'handed_over')).toBe(true);
      expectConsistent(after);
    },
  );

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'When a caller cancels and books again at another site while the card is being handed over (round %i), then a handed-over card has no open transfer and a rebooked one has the one it needs',
    async () => {
      const { slots, cards } = await scene('center');
      const rebook = (card: (typeof cards)[number]) =>
        run((tx) => cancelBooking(tx, { bookingId: card.bookingId, by, baseUrl })).then(() =>
          run((tx) => bookSlot(tx, { slotId: slots.ward, cardHolderIds: [card.holder.id], channel: 'phone', by, baseUrl })),
        );
      const results = await settled(cards.flatMap((card) => [rebook(card), run((tx) => handOver(tx, { bookingId: card.bookingId, by, otherDayConfirmed: true }))]));
      expect(
        refusals(results).every((code) => ['booking_not_found', 'wrong_status'].includes(code)),
        refusals(results).join(),
      ).toBe(true);
      const after = await states(cards.map((card) => card.holder.id));
      expect(after.every((card) => card.status === 'handed_over' || card.open.length === 1)).toBe(true);
      expectConsistent(after);
    },
  );

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'When each booking at another site is moved back to the card’s site and moved on again at once (round %i), then each card has the one transfer its booking needs',
    async () => {
      const { center, slots, cards } = await scene('ward');
      const third = await createCounter(t.db, { name: '分室' });
      const annex = (await createSlot(t.db, { counterId: third.id, date: day, capacity: CARDS * 2 })).id;
      const results = await settled(
        cards.flatMap((card) => [
          run((tx) => moveBooking(tx, { bookingId: card.bookingId, toSlotId: slots.center, by, baseUrl })),
          run((tx) => moveBooking(tx, { bookingId: card.bookingId, toSlotId: annex, by, baseUrl })),
        ]),
      );
      expect(
        refusals(results).every((code) => code === 'same_slot'),
        refusals(results).join(),
      ).toBe(true);
      const after = await states(cards.map((card) => card.holder.id));
      expect(after.some((card) => card.wanted === center.id || card.wanted === third.id)).toBe(true);
      expectConsistent(after);
    },
  );

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'When the center ships while bookings are moved back, cancelled and handed over at once (round %i), then nothing is shipped that was called off first, and every card stays consistent',
    async () => {
      const { center, ward, slots, cards } = await scene('ward');
      const shipmentId = await run((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
      const changes = cards.map((card, i) => {
        if (i % 3 === 0) return run((tx) => moveBooking(tx, { bookingId: card.bookingId, toSlotId: slots.center, by, baseUrl }));
        if (i % 3 === 1) return run((tx) => cancelBooking(tx, { bookingId: card.bookingId, by, baseUrl }));
        return run((tx) => handOver(tx, { bookingId: card.bookingId, by, otherDayConfirmed: true }));
      });
      const results = await settled([run((tx) => shipShipment(tx, { shipmentId, by })), ...changes]);
      expect(
        refusals(results).every((code) => code === 'nothing_to_ship'),
        refusals(results).join(),
      ).toBe(true);
      const after = await states(cards.map((card) => card.holder.id));
      expectConsistent(after);
      const transfers = await t.db.prisma.cardTransfer.findMany({ where: { shipmentId } });
      // Shipped ones were shipped before their booking changed (they stay in transit); the others were called off.
      expect(transfers.every((row) => ['shipped', 'received', 'cancelled'].includes(row.status))).toBe(true);
      for (const row of transfers.filter((transfer) => transfer.status === 'cancelled')) expect(row.shippedAt).toBeNull();
      const shipment = await t.db.prisma.shipment.findUniqueOrThrow({ where: { id: shipmentId } });
      expect(shipment.status).toBe(transfers.some((row) => row.shippedAt !== null) ? 'shipped' : 'preparing');
    },
  );

  it('When the same cards are booked at another site by two clerks at once, then one booking wins and one transfer is requested per card', async () => {
    const center = await createCounter(t.db);
    const wards = [await createCounter(t.db), await createCounter(t.db)];
    const slotIds = await Promise.all(wards.map(async (ward) => (await createSlot(t.db, { counterId: ward.id, date: day, capacity: CARDS * 2 })).id));
    const cards = await Promise.all(Array.from({ length: CARDS }, () => createCardHolder(t.db, { counterId: center.id })));
    const results = await settled(
      cards.flatMap((card) => slotIds.map((slotId) => run((tx) => bookSlot(tx, { slotId, cardHolderIds: [card.holder.id], channel: 'phone', by, baseUrl })))),
    );
    expect(
      refusals(results).every((code) => code === 'already_booked'),
      refusals(results).join(),
    ).toBe(true);
    const after = await states(cards.map((card) => card.holder.id));
    expect(after.every((card) => card.open.length === 1)).toBe(true);
    expectConsistent(after);
  });
});

describe('the same request fired at once', () => {
  const TIMES = 8;
  const fired = <T>(work: () => Promise<T>) => Promise.allSettled(Array.from({ length: TIMES }, work));
  const kept = <T>(results: PromiseSettledResult<T>[]) => results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));

  it('When a count is started, a list made, a card asked for, a letter returned and a list finished eight times at once each, then each happens once and the others are told so', async () => {
    const { center, ward, cards } = await scene('ward');
    const annex = await createCounter(t.db, { name: '分室' });
    const loose = await createCardHolder(t.db, { counterId: center.id });

    const starts = kept(await fired(() => run((tx) => startCount(tx, { siteId: center.id, by }))));
    expect(new Set(starts).size, JSON.stringify(starts)).toBe(1);
    expect(starts).toHaveLength(TIMES);
    expect(await t.db.prisma.stockCount.count({ where: { counterId: center.id } })).toBe(1);

    const lists = await fired(() => run((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by })));
    expect(kept(lists)).toHaveLength(1);
    expect(refusals(lists)).toEqual(Array(TIMES - 1).fill('nothing_to_ship'));
    const [shipmentId] = kept(lists);
    expect(await t.db.prisma.cardTransfer.count({ where: { shipmentId } })).toBe(CARDS);

    const asks = await fired(() => run((tx) => requestTransfer(tx, { cardHolderId: loose.holder.id, toCounterId: annex.id, by })));
    expect(kept(asks)).toHaveLength(1);
    expect(refusals(asks)).toEqual(Array(TIMES - 1).fill('transfer_open'));
    expect(await t.db.prisma.cardTransfer.count({ where: { cardHolderId: loose.holder.id } })).toBe(1);

    const letters = kept(await fired(() => run((tx) => markReturned(tx, { siteId: center.id, noticeId: loose.noticeId, reason: 'returnedMoved', by }))));
    expect(letters.filter((answer) => answer.kind === 'marked')).toHaveLength(1);
    expect(letters.filter((answer) => answer.kind === 'already')).toHaveLength(TIMES - 1);
    expect(await t.db.prisma.cardStatusChange.count({ where: { cardHolderId: loose.holder.id, toStatus: 'returned_undelivered' } })).toBe(1);

    await run((tx) => shipShipment(tx, { shipmentId, by }));
    const finishes = await fired(() => run((tx) => finishShipment(tx, { shipmentId, by })));
    expect(kept(finishes)).toEqual([{ missing: CARDS }]);
    expect(refusals(finishes)).toEqual(Array(TIMES - 1).fill('shipment_status'));
    expectConsistent(await states(cards.map((card) => card.holder.id)));
  });

  it('When a list is shipped, a list discarded, a count finished and a request called off eight times at once each, then each happens once and the others are told so', async () => {
    const { center, ward, cards } = await scene('ward');
    const audits = (action: string, targetId: number) => t.db.prisma.auditLog.count({ where: { action, targetId: String(targetId) } });

    const shipmentId = await run((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    const ships = await fired(() => run((tx) => shipShipment(tx, { shipmentId, by })));
    expect(kept(ships)).toEqual([CARDS]);
    expect(refusals(ships)).toEqual(Array(TIMES - 1).fill('shipment_status'));
    expect(await t.db.prisma.cardTransfer.count({ where: { shipmentId, status: 'shipped' } })).toBe(CARDS);
    expect(await audits('logistics.shipment.ship', shipmentId)).toBe(1);

    const annex = await createCounter(t.db, { name: '分室' });
    const loose = await createCardHolder(t.db, { counterId: center.id });
    const transferId = await run((tx) => requestTransfer(tx, { cardHolderId: loose.holder.id, toCounterId: annex.id, by }));
    const listId = await run((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: annex.id, by }));
    const discards = await fired(() => run((tx) => discardShipment(tx, { shipmentId: listId, by })));
    expect(kept(discards)).toHaveLength(1);
    expect(refusals(discards)).toEqual(Array(TIMES - 1).fill('shipment_status'));
    expect(await t.db.prisma.cardTransfer.findUniqueOrThrow({ where: { id: transferId } })).toMatchObject({ status: 'requested', shipmentId: null });
    expect(await audits('logistics.shipment.discard', listId)).toBe(1);

    const calls = await fired(() => run((tx) => cancelTransfer(tx, { transferId, by })));
    expect(kept(calls)).toEqual([loose.holder.id]);
    expect(refusals(calls)).toEqual(Array(TIMES - 1).fill('not_cancellable'));
    expect(await t.db.prisma.cardTransfer.findUniqueOrThrow({ where: { id: transferId } })).toMatchObject({ status: 'cancelled', closeReason: 'clerk' });
    expect(await t.db.prisma.auditLog.count({ where: { action: 'logistics.transfer.cancel', targetId: String(loose.holder.id) } })).toBe(1);

    const countId = await run((tx) => startCount(tx, { siteId: center.id, by }));
    await run((tx) => countScan(tx, { countId, noticeId: loose.noticeId, by }));
    const finishes = await fired(() => run((tx) => finishCount(tx, { countId, by })));
    expect(kept(finishes)).toHaveLength(1);
    expect(refusals(finishes)).toEqual(Array(TIMES - 1).fill('count_finished'));
    const [finished] = kept(finishes);
    expect(await t.db.prisma.stockCountFinding.count({ where: { stockCountId: countId } })).toBe(finished.missing + finished.unexpected);
    expect(await t.db.prisma.stockCount.findUniqueOrThrow({ where: { id: countId } })).toMatchObject({ status: 'finished', scanned: 1 });
    expect(await audits('logistics.stockCount.finish', countId)).toBe(1);
    expectConsistent(await states(cards.map((card) => card.holder.id)));
  });
});
