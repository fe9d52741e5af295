// Card transfers between sites (counters): a card booked at a site other than where it is
// stored is asked for there (a booking's transfer), and a clerk may ask for a card too. The
// booking commands call reconcileTransfers after every change, with the card rows locked, so
// the open transfer (at most one per card) always follows the card's open booking
// (docs/decisions/0025-card-logistics.md).
import type { SqlTx } from '../../../db/transaction.js';
import { OPEN_BOOKING_SQL } from '../../../domain/booking-rules.js';
import { actorKey } from '../../../lib/actor.js';
import { AppError } from '../../../lib/app-error.js';
import { authorize, can, type StaffPrincipal } from '../../../policies/index.js';
import { recordAudit } from '../../staff/audit.js';

/** Why a transfer was closed other than by a scan (close_reason; shown as logistics.closeReason.<key>). */
export type CloseReason = 'booking_moved' | 'booking_ended' | 'handed_over' | 'card_cancelled' | 'site_changed' | 'clerk';

/** A transfer still open: asked for and not yet shipped, or on its way. */
export const OPEN_TRANSFER_STATUSES: readonly string[] = ['requested', 'shipped'];
export const OPEN_TRANSFER_SQL = `(${OPEN_TRANSFER_STATUSES.map((status) => `'${status}'`).join(', ')})`;

/** Card statuses at which a card is gone for good: nothing is sent anywhere any more. */
const GONE = ['handed_over', 'cancelled'];

interface CardNeed {
  id: number;
  siteId: number | null;
  status: string;
  /** The site of the card's open booking that hands over the stored card, and that booking. */
  wantedAt: number | null;
  bookingId: number | null;
  transferId: number | null;
  transferStatus: 'requested' | 'shipped' | null;
  transferFrom: number | null;
  transferTo: number | null;
  transferReason: 'booking' | 'clerk' | null;
}

// Each card (locked by the caller) with its open booking that needs the stored card, and its open transfer.
const CARD_NEEDS = `
  SELECT h.id, h.counter_id AS "siteId", h.status::text AS status, want.counter_id AS "wantedAt", want.id AS "bookingId",
         t.id AS "transferId", t.status::text AS "transferStatus", t.from_counter_id AS "transferFrom", t.to_counter_id AS "transferTo", t.reason::text AS "transferReason"
  FROM card_holders h
  LEFT JOIN LATERAL (SELECT b.id, s.counter_id FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN procedures p ON p.code = b.procedure_code
                     WHERE b.card_holder_id = h.id AND b.status IN ${OPEN_BOOKING_SQL} AND p.needs_stored_card ORDER BY b.id LIMIT 1) want ON true
  LEFT JOIN card_transfers t ON t.card_holder_id = h.id AND t.status IN ${OPEN_TRANSFER_SQL}
  WHERE h.id = ANY($1::int[])`;

const CANCEL = `
  UPDATE card_transfers t SET status = 'cancelled', cancelled_at = now(), cancelled_by = $3, close_reason = x.reason
  FROM unnest($1::int[], $2::text[]) AS x(id, reason) WHERE t.id = x.id AND t.status = 'requested'`;

// A card handed over while on its way: it did arrive; the transfer closes as received there.
const RECEIVED_BY_HAND_OVER = `
  WITH closed AS (UPDATE card_transfers SET status = 'received', received_at = now(), received_by = $2, close_reason = 'handed_over'
                  WHERE id = ANY($1::int[]) AND status = 'shipped' RETURNING card_holder_id, to_counter_id)
  UPDATE card_holders h SET counter_id = closed.to_counter_id, updated_at = now() FROM closed WHERE h.id = closed.card_holder_id`;

const RAISE = `
  INSERT INTO card_transfers (card_holder_id, from_counter_id, to_counter_id, reason, booking_id, requested_by)
  SELECT x.card, x.site, x.wanted, 'booking', x.booking, $5 FROM unnest($1::int[], $2::int[], $3::int[], $4::int[]) AS x(card, site, wanted, booking)`;

type Plan = { cancel: [number, CloseReason][]; handedOver: number[]; raise: [number, number, number, number][] };

/** What a card's open transfer should become, given its status, its site and its open booking. */
function plan(card: CardNeed, out: Plan): void {
  const open = card.transferId;
  if (GONE.includes(card.status)) {
    if (open !== null && card.transferStatus === 'requested') out.cancel.push([open, card.status === 'handed_over' ? 'handed_over' : 'card_cancelled']);
    if (open !== null && card.transferStatus === 'shipped' && card.status === 'handed_over') out.handedOver.push(open);
    return;
  }
  // A shipped card is on its way: it is received where it goes, and reconciled again there.
  if (card.transferStatus === 'shipped') return;
  if (open !== null) {
    const reason = closeReasonOf(card);
    if (reason === null) return;
    out.cancel.push([open, reason]);
  }
  if (card.wantedAt !== null && card.siteId !== null && card.wantedAt !== card.siteId) out.raise.push([card.id, card.siteId, card.wantedAt, card.bookingId!]);
}

/** Why a card's requested transfer no longer stands, or null when it does (a clerk's stays while no booking wants the card). */
function closeReasonOf(card: CardNeed): CloseReason | null {
  // The card's recorded site changed (a J-LIS import): it is sent from where it is now, if at all.
  if (card.transferFrom !== card.siteId) return 'site_changed';
  if (card.wantedAt === null) return card.transferReason === 'booking' ? 'booking_ended' : null;
  return card.transferTo === card.wantedAt ? null : 'booking_moved';
}

/**
 * Brings the open transfers of these cards in line with their open bookings: a booking that
 * needs the stored card at another site asks for it there; a booking moved to the card's own
 * site, or to a third one, calls off (or replaces) a transfer not yet shipped; a booking that
 * ended calls off its transfer; a hand-over closes whatever is open. A shipped card is left to
 * arrive. The caller has locked the card rows (FOR UPDATE) and written the booking change.
 */
export async function reconcileTransfers(tx: SqlTx, cardHolderIds: number[]): Promise<void> {
  if (cardHolderIds.length === 0) return;
  const cards = await tx.query<CardNeed>(CARD_NEEDS, [cardHolderIds]);
  const out: Plan = { cancel: [], handedOver: [], raise: [] };
  for (const card of cards) plan(card, out);
  const who = actorKey(tx.actor);
  if (out.cancel.length > 0) await tx.query(CANCEL, [out.cancel.map(([id]) => id), out.cancel.map(([, reason]) => reason), who]);
  if (out.handedOver.length > 0) await tx.query(RECEIVED_BY_HAND_OVER, [out.handedOver, who]);
  if (out.raise.length > 0) await tx.query(RAISE, [...[0, 1, 2, 3].map((column) => out.raise.map((row) => row[column])), who]);
}

/** Locks the card (FOR UPDATE) and reads its site and status; a 404 when there is no such card. */
async function lockCard(tx: SqlTx, cardHolderId: number): Promise<{ id: number; siteId: number | null; status: string }> {
  const [card] = await tx.query<{ id: number; siteId: number | null; status: string }>(
    `SELECT id, counter_id AS "siteId", status::text AS status FROM card_holders WHERE id = $1::int FOR UPDATE`,
    [cardHolderId],
  );
  if (!card) throw new AppError(404, 'card_not_found', 'cards.notFound');
  return card;
}

/** Logistics work at a site: a 403 for a clerk limited to other sites. */
export const authorizeSite = (by: StaffPrincipal, siteId: number) => authorize(by, 'logistics.work', siteId, 'logistics.siteForbidden');

/** A clerk at either end of a transfer may act on it. */
export function authorizeEitherEnd(by: StaffPrincipal, from: number, to: number): void {
  if (!can(by, 'logistics.work', to)) authorizeSite(by, from);
}

/** A clerk at either end may ask for a card to be sent from where it is stored to another site. */
export async function requestTransfer(tx: SqlTx, input: { cardHolderId: number; toCounterId: number; by: StaffPrincipal }): Promise<number> {
  const card = await lockCard(tx, input.cardHolderId);
  if (card.siteId === null) throw new AppError(409, 'no_site', 'logistics.request.noSite');
  authorizeEitherEnd(input.by, card.siteId, input.toCounterId);
  if (card.siteId === input.toCounterId) throw new AppError(400, 'same_site', 'logistics.request.sameSite');
  if (GONE.includes(card.status) || card.status === 'data_received') throw new AppError(409, 'not_movable', 'logistics.request.notMovable');
  const [need] = await tx.query<CardNeed>(CARD_NEEDS, [[card.id]]);
  if (need.transferId !== null) throw new AppError(409, 'transfer_open', 'logistics.request.alreadyOpen');
  if (need.wantedAt !== null) throw new AppError(409, 'booked_elsewhere', 'logistics.request.bookedElsewhere');
  const [site] = await tx.query<{ id: number }>(`SELECT id FROM counters WHERE id = $1::int AND retired_at IS NULL`, [input.toCounterId]);
  if (!site) throw new AppError(400, 'unknown_site', 'logistics.request.unknownSite');
  const [{ id }] = await tx.query<{ id: number }>(
    `INSERT INTO card_transfers (card_holder_id, from_counter_id, to_counter_id, reason, requested_by) VALUES ($1::int, $2::int, $3::int, 'clerk', $4) RETURNING id`,
    [card.id, card.siteId, input.toCounterId, actorKey(tx.actor)],
  );
  await recordAudit(tx, {
    action: 'logistics.transfer.request',
    targetType: 'card_holder',
    targetId: card.id,
    detail: { transferId: id, from: card.siteId, to: input.toCounterId },
  });
  return id;
}

/** A clerk calls off a clerk's request not yet shipped (a booking's transfer follows its booking). */
export async function cancelTransfer(tx: SqlTx, input: { transferId: number; by: StaffPrincipal }): Promise<number> {
  const [transfer] = await tx.query<{ cardHolderId: number }>(`SELECT card_holder_id AS "cardHolderId" FROM card_transfers WHERE id = $1::int`, [input.transferId]);
  if (!transfer) throw new AppError(404, 'transfer_not_found', 'logistics.transfer.notFound');
  await lockCard(tx, transfer.cardHolderId);
  const [open] = await tx.query<{ from: number; to: number; reason: string; status: string }>(
    `SELECT from_counter_id AS "from", to_counter_id AS "to", reason::text AS reason, status::text AS status FROM card_transfers WHERE id = $1::int`,
    [input.transferId],
  );
  authorizeEitherEnd(input.by, open.from, open.to);
  if (open.status !== 'requested' || open.reason !== 'clerk') throw new AppError(409, 'not_cancellable', 'logistics.transfer.notCancellable');
  await tx.query(CANCEL, [[input.transferId], ['clerk'], actorKey(tx.actor)]);
  await recordAudit(tx, { action: 'logistics.transfer.cancel', targetType: 'card_holder', targetId: transfer.cardHolderId, detail: { transferId: input.transferId } });
  return transfer.cardHolderId;
}

export interface TransferRow {
  id: number;
  fromName: string;
  toName: string;
  status: string;
  reason: string;
  bookingCode: string | null;
  shipmentId: number | null;
  requestedBy: string;
  requestedAt: Date;
  shippedBy: string | null;
  shippedAt: Date | null;
  receivedBy: string | null;
  receivedAt: Date | null;
  storagePlace: string;
  cancelledBy: string | null;
  cancelledAt: Date | null;
  closeReason: string | null;
}

/** A card's transfers, newest first (its page shows them to everyone who may see the card). */
export async function transfersOfCard(tx: Pick<SqlTx, 'query'>, cardHolderId: number): Promise<TransferRow[]> {
  return tx.query<TransferRow>(
    `SELECT t.id, f.name AS "fromName", d.name AS "toName", t.status::text AS status, t.reason::text AS reason, b.code AS "bookingCode", t.shipment_id AS "shipmentId",
            t.requested_by AS "requestedBy", t.requested_at AS "requestedAt", t.shipped_by AS "shippedBy", t.shipped_at AS "shippedAt",
            t.received_by AS "receivedBy", t.received_at AS "receivedAt", t.storage_place AS "storagePlace", t.cancelled_by AS "cancelledBy",
            t.cancelled_at AS "cancelledAt", t.close_reason AS "closeReason"
     FROM card_transfers t JOIN counters f ON f.id = t.from_counter_id JOIN counters d ON d.id = t.to_counter_id LEFT JOIN bookings b ON b.id = t.booking_id
     WHERE t.card_holder_id = $1::int ORDER BY t.id DESC`,
    [cardHolderId],
  );
}

export interface OpenTransfer {
  id: number;
  status: 'requested' | 'shipped';
  toCounterId: number;
  shipmentId: number | null;
  fromName: string;
  toName: string;
}

/** The card's open transfer (requested or shipped), for the console's page of a card holder and for a scan; null when none. */
export async function openTransferOf(tx: Pick<SqlTx, 'query'>, cardHolderId: number): Promise<OpenTransfer | null> {
  const [open] = await tx.query<OpenTransfer>(
    `SELECT t.id, t.status::text AS status, t.to_counter_id AS "toCounterId", t.shipment_id AS "shipmentId", f.name AS "fromName", d.name AS "toName"
     FROM card_transfers t JOIN counters f ON f.id = t.from_counter_id JOIN counters d ON d.id = t.to_counter_id
     WHERE t.card_holder_id = $1::int AND t.status IN ${OPEN_TRANSFER_SQL}`,
    [cardHolderId],
  );
  return open ?? null;
}
