// Receiving by scanning (受領): at the destination a barcode reader types a card's notice ID
// into the receiving page; each scan receives that card's transfer at once (its site and,
// when given, its storage place change; who and when are kept on the transfer) and answers
// whether the card was expected. The card row is locked first, so two terminals scanning the
// same card at once receive it once: the second one is told it is already received.
import type { SqlTx } from '../../../db/transaction.js';
import { actorKey } from '../../../lib/actor.js';
import type { StaffPrincipal } from '../../../policies/index.js';
import { recordAudit } from '../../staff/audit.js';
import { authorizeSite, openTransferOf, reconcileTransfers, type OpenTransfer } from './transfers.js';

/** What a scan at the receiving page found (shown as logistics.receive.answer.<kind>). */
export type ReceiveAnswer =
  | { kind: 'received'; shipmentId: number; fromName: string; storagePlace: string }
  | { kind: 'already_received'; storagePlace: string; putAway: boolean }
  | { kind: 'put_away'; storagePlace: string }
  /** Not in any shipment on its way to this site: why, and where the card is recorded. */
  | { kind: 'unexpected'; why: 'not_shipped' | 'to_be_sent' | 'other_destination' | 'stored_here' | 'stored_elsewhere' | 'no_site'; siteName: string }
  | { kind: 'unknown' };

export interface ScannedCard {
  id: number;
  siteId: number | null;
  siteName: string | null;
  storagePlace: string;
}

/** Locks the card with this notice ID (FOR UPDATE) and reads its site; undefined when no card has it. */
export async function lockCardByNoticeId(tx: SqlTx, noticeId: string): Promise<(ScannedCard & { status: string }) | undefined> {
  const [card] = await tx.query<ScannedCard & { status: string }>(
    `SELECT h.id, h.counter_id AS "siteId", c.name AS "siteName", h.storage_place AS "storagePlace", h.status::text AS status
     FROM card_holders h LEFT JOIN counters c ON c.id = h.counter_id WHERE h.notice_id = $1 FOR UPDATE OF h`,
    [noticeId],
  );
  return card;
}

const RECEIVE = `
  WITH received AS (UPDATE card_transfers SET status = 'received', received_at = now(), received_by = $2, storage_place = $3 WHERE id = $1::int AND status = 'shipped' RETURNING card_holder_id, to_counter_id)
  UPDATE card_holders h SET counter_id = received.to_counter_id, storage_place = CASE WHEN $3 = '' THEN h.storage_place ELSE $3 END, updated_at = now()
  FROM received WHERE h.id = received.card_holder_id`;

/**
 * One scan at the receiving page of `siteId`, with the storage place the clerk put the card
 * away to ('' when none is given): receives the card's shipped transfer to this site, or puts
 * away a card already here, or says why the card was not expected.
 */
export async function receiveScan(tx: SqlTx, input: { siteId: number; noticeId: string; storagePlace: string; by: StaffPrincipal }): Promise<ReceiveAnswer> {
  authorizeSite(input.by, input.siteId);
  const card = await lockCardByNoticeId(tx, input.noticeId);
  if (!card) return { kind: 'unknown' };
  const open = await openTransferOf(tx, card.id);
  if (open?.status === 'shipped' && open.toCounterId === input.siteId) {
    await tx.query(RECEIVE, [open.id, actorKey(tx.actor), input.storagePlace]);
    await recordAudit(tx, {
      action: 'logistics.receive',
      targetType: 'card_holder',
      targetId: card.id,
      detail: { transferId: open.id, shipmentId: open.shipmentId, storagePlace: input.storagePlace },
    });
    // Booked meanwhile at yet another site: it is asked for there now.
    await reconcileTransfers(tx, [card.id]);
    return { kind: 'received', shipmentId: open.shipmentId!, fromName: open.fromName, storagePlace: input.storagePlace || card.storagePlace };
  }
  if (card.siteId === input.siteId && open?.status !== 'shipped') {
    // A card here may be put away, even one waiting to be sent; without a place, the clerk is told it is to go.
    if (open && input.storagePlace === '') return { kind: 'unexpected', why: 'to_be_sent', siteName: open.toName };
    return hereAlready(tx, card, input.storagePlace);
  }
  return { kind: 'unexpected', why: unexpectedWhy(card, open, input.siteId), siteName: card.siteName ?? '' };
}

/** Why a card that is not here (or is on its way elsewhere) was not expected at this site. */
function unexpectedWhy(card: ScannedCard, open: OpenTransfer | null, siteId: number): Extract<ReceiveAnswer, { kind: 'unexpected' }>['why'] {
  if (open?.status === 'requested' && open.toCounterId === siteId) return 'not_shipped';
  if (open) return 'other_destination';
  return card.siteId === null ? 'no_site' : 'stored_elsewhere';
}

/** A card already at this site: received before (a second scan), or put away to the place given. */
async function hereAlready(tx: SqlTx, card: ScannedCard, storagePlace: string): Promise<ReceiveAnswer> {
  const putAway = storagePlace !== '' && storagePlace !== card.storagePlace;
  if (putAway) {
    await tx.query(`UPDATE card_holders SET storage_place = $2, updated_at = now() WHERE id = $1::int`, [card.id, storagePlace]);
    await recordAudit(tx, { action: 'logistics.putAway', targetType: 'card_holder', targetId: card.id, detail: { from: card.storagePlace, to: storagePlace } });
  }
  const [last] = await tx.query<{ status: string; toCounterId: number }>(
    `SELECT status::text AS status, to_counter_id AS "toCounterId" FROM card_transfers WHERE card_holder_id = $1::int ORDER BY id DESC LIMIT 1`,
    [card.id],
  );
  const shelf = putAway ? storagePlace : card.storagePlace;
  if (last?.status === 'received' && last.toCounterId === card.siteId) return { kind: 'already_received', storagePlace: shelf, putAway };
  return putAway ? { kind: 'put_away', storagePlace: shelf } : { kind: 'unexpected', why: 'stored_here', siteName: card.siteName ?? '' };
}

/** Shipments on their way to this site, with how many of their cards are received. */
export async function incomingShipments(tx: Pick<SqlTx, 'query'>, siteId: number) {
  return tx.query<{ id: number; fromName: string; shippedAt: Date; cards: number; received: number }>(
    `SELECT s.id, f.name AS "fromName", s.shipped_at AS "shippedAt",
            (SELECT count(*)::int FROM card_transfers t WHERE t.shipment_id = s.id AND t.status IN ('shipped', 'received')) AS cards,
            (SELECT count(*)::int FROM card_transfers t WHERE t.shipment_id = s.id AND t.status = 'received') AS received
     FROM shipments s JOIN counters f ON f.id = s.from_counter_id WHERE s.to_counter_id = $1::int AND s.status = 'shipped' ORDER BY s.id`,
    [siteId],
  );
}
