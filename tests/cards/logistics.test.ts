// Card logistics services (issue 19.1): shipping lists, receiving by scanning with put-away,
// returned letters, and stock counts with their missing and unexpected cards.
import { describe, expect, it } from 'vitest';
import { bookSlot, cancelBooking } from '../../src/features/booking/index.js';
import { createShipment, discardShipment, finishShipment, shipShipment, showShipment } from '../../src/features/cards/logistics/shipments.js';
import { receiveScan } from '../../src/features/cards/logistics/receiving.js';
import { markReturned, returnedCards } from '../../src/features/cards/logistics/returns.js';
import { countScan, finishCount, showCount, startCount } from '../../src/features/cards/logistics/stock-count.js';
import { requestTransfer } from '../../src/features/cards/logistics/transfers.js';
import type { StaffPrincipal } from '../../src/policies/index.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createCardHolder, createCounter, createSlot, randomNoticeId } from '../helpers/factories.js';
import { logisticsScene } from '../helpers/logistics.js';

const { t, day, baseUrl, asClerk } = logisticsScene();
const by = TEST_CLERK;

/** A center and a ward, and `n` cards stored at the center, each booked at the ward. */
async function bookedAtWard(n: number) {
  const center = await createCounter(t.db, { name: '交付センター' });
  const ward = await createCounter(t.db, { name: '北区役所' });
  const slot = await createSlot(t.db, { counterId: ward.id, date: day, capacity: n + 2 });
  const cards = [];
  for (let i = 0; i < n; i += 1) {
    const card = await createCardHolder(t.db, { counterId: center.id });
    await t.db.prisma.cardHolder.update({ where: { id: card.holder.id }, data: { storagePlace: `棚A-${i + 1}` } });
    const group = await asClerk((tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [card.holder.id], channel: 'phone', by, baseUrl }));
    cards.push({ ...card, bookingId: group.bookings[0].id });
  }
  return { center, ward, slot, cards };
}

const cardOf = (id: number) => t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id } });

describe('shipments and receiving', () => {
  it('When the center lists, ships and the ward scans two of three cards, then those are received and put away, the third is missing, and a stranger is unexpected', async () => {
    const { center, ward, cards } = await bookedAtWard(3);
    const shipmentId = await asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    const listed = await asClerk((tx) => showShipment(tx, shipmentId, by));
    expect(listed.cards.map((card) => card.noticeId).sort()).toEqual(cards.map((card) => card.noticeId).sort());
    expect(await asClerk((tx) => shipShipment(tx, { shipmentId, by }))).toBe(3);

    const scan = (noticeId: string, storagePlace = '') => asClerk((tx) => receiveScan(tx, { siteId: ward.id, noticeId, storagePlace, by }));
    expect(await scan(cards[0].noticeId, '北-1')).toMatchObject({ kind: 'received', shipmentId, fromName: '交付センター', storagePlace: '北-1' });
    expect(await scan(cards[1].noticeId)).toMatchObject({ kind: 'received', storagePlace: '棚A-2' });
    expect(await scan(cards[0].noticeId)).toMatchObject({ kind: 'already_received', storagePlace: '北-1', putAway: false });
    expect(await scan(cards[1].noticeId, '北-2')).toMatchObject({ kind: 'already_received', storagePlace: '北-2', putAway: true });
    const stranger = await createCardHolder(t.db, { counterId: center.id });
    expect(await scan(stranger.noticeId)).toMatchObject({ kind: 'unexpected', why: 'stored_elsewhere', siteName: '交付センター' });
    expect(await scan(randomNoticeId())).toEqual({ kind: 'unknown' });

    expect(await cardOf(cards[0].holder.id)).toMatchObject({ counterId: ward.id, storagePlace: '北-1' });
    expect(await cardOf(cards[1].holder.id)).toMatchObject({ counterId: ward.id, storagePlace: '北-2' });
    const received = await t.db.prisma.cardTransfer.findFirstOrThrow({ where: { cardHolderId: cards[0].holder.id } });
    expect(received).toMatchObject({ status: 'received', receivedBy: 'staff:0', storagePlace: '北-1' });
    expect(received.receivedAt).toBeInstanceOf(Date);

    expect(await asClerk((tx) => finishShipment(tx, { shipmentId, by }))).toEqual({ missing: 1 });
    const after = await asClerk((tx) => showShipment(tx, shipmentId, by));
    expect(after.shipment.status).toBe('closed');
    expect(after.cards.filter((card) => card.status === 'shipped').map((card) => card.noticeId)).toEqual([cards[2].noticeId]);
    // The missing card turns up later: a scan still receives it.
    expect(await scan(cards[2].noticeId)).toMatchObject({ kind: 'received', shipmentId });
  });

  it('When a booking is cancelled after its card was listed, then shipping leaves it off and the list still shows it was taken off', async () => {
    const { center, ward, cards } = await bookedAtWard(2);
    const shipmentId = await asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    await asClerk((tx) => cancelBooking(tx, { bookingId: cards[0].bookingId, by, baseUrl }));
    expect(await asClerk((tx) => shipShipment(tx, { shipmentId, by }))).toBe(1);
    const { cards: listed } = await asClerk((tx) => showShipment(tx, shipmentId, by));
    expect(listed.map((card) => [card.noticeId, card.status, card.closeReason])).toEqual(
      expect.arrayContaining([
        [cards[0].noticeId, 'cancelled', 'booking_ended'],
        [cards[1].noticeId, 'shipped', null],
      ]),
    );
    expect(await asClerk((tx) => receiveScan(tx, { siteId: ward.id, noticeId: cards[0].noticeId, storagePlace: '', by }))).toMatchObject({
      kind: 'unexpected',
      why: 'stored_elsewhere',
    });
  });

  it('When there is nothing to list, a list is shipped twice, or the wrong end acts, then each is refused and nothing changes', async () => {
    const { center, ward } = await bookedAtWard(1);
    await expect(asClerk((tx) => createShipment(tx, { fromCounterId: ward.id, toCounterId: center.id, by }))).rejects.toMatchObject({ status: 409, code: 'nothing_to_ship' });
    const shipmentId = await asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    await expect(asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }))).rejects.toMatchObject({ code: 'nothing_to_ship' });
    await expect(asClerk((tx) => finishShipment(tx, { shipmentId, by }))).rejects.toMatchObject({ status: 409 });
    const atWard: StaffPrincipal = { ...by, role: 'staff', counterIds: [ward.id] };
    await expect(asClerk((tx) => shipShipment(tx, { shipmentId, by: atWard }))).rejects.toMatchObject({ status: 403 });
    await asClerk((tx) => shipShipment(tx, { shipmentId, by }));
    await expect(asClerk((tx) => shipShipment(tx, { shipmentId, by }))).rejects.toMatchObject({ status: 409, code: 'shipment_status' });
    await expect(asClerk((tx) => discardShipment(tx, { shipmentId, by }))).rejects.toMatchObject({ status: 409 });
    const elsewhere: StaffPrincipal = { ...by, role: 'staff', counterIds: [center.id] };
    await expect(asClerk((tx) => receiveScan(tx, { siteId: ward.id, noticeId: randomNoticeId(), storagePlace: '', by: elsewhere }))).rejects.toMatchObject({ status: 403 });
  });

  it('When a list is discarded, then its cards wait for the next list; a card requested but not shipped is not received by a scan', async () => {
    const { center, ward, cards } = await bookedAtWard(1);
    const first = await asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    expect(await asClerk((tx) => receiveScan(tx, { siteId: ward.id, noticeId: cards[0].noticeId, storagePlace: '', by }))).toMatchObject({
      kind: 'unexpected',
      why: 'not_shipped',
    });
    // At the center the card waits to be sent: a scan there says so, or puts it away when a place is given.
    const atCenter = (storagePlace: string) => asClerk((tx) => receiveScan(tx, { siteId: center.id, noticeId: cards[0].noticeId, storagePlace, by }));
    expect(await atCenter('')).toMatchObject({ kind: 'unexpected', why: 'to_be_sent', siteName: '北区役所' });
    expect(await atCenter('発送棚')).toMatchObject({ kind: 'put_away', storagePlace: '発送棚' });
    await asClerk((tx) => discardShipment(tx, { shipmentId: first, by }));
    const second = await asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    expect((await asClerk((tx) => showShipment(tx, second, by))).cards).toHaveLength(1);
  });

  it('When a received card’s booking has meanwhile moved to a third site, then receiving it asks for it there', async () => {
    const { center, ward, cards } = await bookedAtWard(1);
    const shipmentId = await asClerk((tx) => createShipment(tx, { fromCounterId: center.id, toCounterId: ward.id, by }));
    await asClerk((tx) => shipShipment(tx, { shipmentId, by }));
    const annex = await createCounter(t.db, { name: '分室' });
    const annexSlot = await createSlot(t.db, { counterId: annex.id, date: day });
    const { moveBooking } = await import('../../src/features/booking/index.js');
    await asClerk((tx) => moveBooking(tx, { bookingId: cards[0].bookingId, toSlotId: annexSlot.id, by, baseUrl }));
    await asClerk((tx) => receiveScan(tx, { siteId: ward.id, noticeId: cards[0].noticeId, storagePlace: '', by }));
    const transfers = await t.db.prisma.cardTransfer.findMany({ where: { cardHolderId: cards[0].holder.id }, orderBy: { id: 'asc' } });
    expect(transfers.map((row) => [row.status, row.fromCounterId, row.toCounterId])).toEqual([
      ['received', center.id, ward.id],
      ['requested', ward.id, annex.id],
    ]);
  });
});

describe('returned letters', () => {
  it('When returned letters are scanned, then their cards become returned_undelivered with the reason; a booked card or a second scan is told apart', async () => {
    const site = await createCounter(t.db, { name: '南区役所' });
    const [a, b] = [await createCardHolder(t.db, { counterId: site.id }), await createCardHolder(t.db, { counterId: site.id })];
    const scan = (noticeId: string) => asClerk((tx) => markReturned(tx, { siteId: site.id, noticeId, reason: 'returnedMoved', by }));
    expect(await scan(a.noticeId)).toEqual({ kind: 'marked' });
    expect(await scan(a.noticeId)).toEqual({ kind: 'already' });
    const slot = await createSlot(t.db, { counterId: site.id, date: day });
    await asClerk((tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [b.holder.id], channel: 'phone', by, baseUrl }));
    expect(await scan(b.noticeId)).toEqual({ kind: 'refused', status: 'booked' });
    expect(await scan(randomNoticeId())).toEqual({ kind: 'unknown' });
    const history = await t.db.prisma.cardStatusChange.findFirstOrThrow({ where: { cardHolderId: a.holder.id, toStatus: 'returned_undelivered' } });
    expect(history).toMatchObject({ fromStatus: 'notice_sent', reason: 'cards.reason.returned.moved', actor: 'staff:0' });
    const list = await asClerk((tx) => returnedCards(tx, site.id, by));
    expect(list).toMatchObject([{ noticeId: a.noticeId, reason: 'cards.reason.returned.moved' }]);
  });

  it('When a clerk of one site scans a letter of a card kept at another site, then it is refused and the card is unchanged', async () => {
    const [mine, theirs] = [await createCounter(t.db), await createCounter(t.db, { name: '西区役所' })];
    const card = await createCardHolder(t.db, { counterId: theirs.id });
    const clerk: StaffPrincipal = { ...by, role: 'staff', counterIds: [mine.id] };
    expect(await asClerk((tx) => markReturned(tx, { siteId: mine.id, noticeId: card.noticeId, reason: 'returnedOther', by: clerk }))).toEqual({
      kind: 'other_site',
      siteName: '西区役所',
    });
    expect((await cardOf(card.holder.id)).status).toBe('notice_sent');
  });
});

describe('stock counts', () => {
  it('When a site is counted, then the cards not scanned are missing and the scanned cards that do not belong are unexpected, each with why', async () => {
    const site = await createCounter(t.db, { name: '東区役所' });
    const other = await createCounter(t.db, { name: '西区役所' });
    const shelf = await Promise.all([1, 2, 3].map(() => createCardHolder(t.db, { counterId: site.id })));
    const handed = await createCardHolder(t.db, { counterId: site.id, status: 'handed_over' });
    const notArrived = await createCardHolder(t.db, { counterId: site.id, status: 'data_received' });
    const elsewhere = await createCardHolder(t.db, { counterId: other.id });
    const travelling = await createCardHolder(t.db, { counterId: site.id });
    await asClerk((tx) => requestTransfer(tx, { cardHolderId: travelling.holder.id, toCounterId: other.id, by }));
    const shipmentId = await asClerk((tx) => createShipment(tx, { fromCounterId: site.id, toCounterId: other.id, by }));
    await asClerk((tx) => shipShipment(tx, { shipmentId, by }));

    const countId = await asClerk((tx) => startCount(tx, { siteId: site.id, by }));
    expect(await asClerk((tx) => startCount(tx, { siteId: site.id, by }))).toBe(countId);
    const scan = (noticeId: string) => asClerk((tx) => countScan(tx, { countId, noticeId, by }));
    expect(await scan(shelf[0].noticeId)).toMatchObject({ kind: 'counted', times: 1, why: null });
    expect(await scan(shelf[0].noticeId)).toMatchObject({ kind: 'again', times: 2, why: null });
    await scan(shelf[1].noticeId);
    expect(await scan(handed.noticeId)).toMatchObject({ why: 'handed_over' });
    expect(await scan(elsewhere.noticeId)).toMatchObject({ why: 'other_site' });
    expect(await scan(travelling.noticeId)).toMatchObject({ why: 'in_transit' });
    expect(await scan(notArrived.noticeId)).toMatchObject({ why: 'not_arrived' });
    const stray = randomNoticeId();
    await scan(stray);
    expect(await scan(stray)).toMatchObject({ kind: 'again', times: 2, why: 'unknown' });

    expect(await asClerk((tx) => finishCount(tx, { countId, by }))).toEqual({ missing: 1, unexpected: 5 });
    const { count, findings } = await asClerk((tx) => showCount(tx, countId, by));
    expect(count).toMatchObject({ status: 'finished', expected: 3, scanned: 7 });
    expect(findings.filter((f) => f.kind === 'missing').map((f) => f.noticeId)).toEqual([shelf[2].noticeId]);
    expect(Object.fromEntries(findings.filter((f) => f.kind === 'unexpected').map((f) => [f.noticeId, f.detail]))).toEqual({
      [handed.noticeId]: 'handed_over',
      [elsewhere.noticeId]: 'other_site',
      [travelling.noticeId]: 'in_transit',
      [notArrived.noticeId]: 'not_arrived',
      [stray]: 'unknown',
    });
    await expect(scan(shelf[2].noticeId)).rejects.toMatchObject({ status: 409, code: 'count_finished' });
    // A new count may start once the last one is finished.
    expect(await asClerk((tx) => startCount(tx, { siteId: site.id, by }))).not.toBe(countId);
  });

  it('When a clerk of another site opens or scans in a count, then it is refused', async () => {
    const [site, other] = [await createCounter(t.db), await createCounter(t.db)];
    const countId = await asClerk((tx) => startCount(tx, { siteId: site.id, by }));
    const clerk: StaffPrincipal = { ...by, role: 'staff', counterIds: [other.id] };
    await expect(asClerk((tx) => countScan(tx, { countId, noticeId: randomNoticeId(), by: clerk }))).rejects.toMatchObject({ status: 403 });
    await expect(asClerk((tx) => startCount(tx, { siteId: site.id, by: clerk }))).rejects.toMatchObject({ status: 403 });
    await expect(asClerk((tx) => showCount(tx, countId, clerk))).rejects.toMatchObject({ status: 403 });
  });
});
