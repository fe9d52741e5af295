// Shipments (発送リスト): staff at a site list the requested transfers to one destination, print
// the list (a barcode per card), pack the box and mark it shipped; the destination scans the
// cards in (receiving.ts) and finishes the shipment, which lists the cards that did not come.
// Card rows are locked before transfer rows, in id order, as the booking commands lock them.
import type { SqlTx } from '../../../db/transaction.js';
import { actorKey } from '../../../lib/actor.js';
import { AppError } from '../../../lib/app-error.js';
import type { StaffPrincipal } from '../../../policies/index.js';
import { recordAudit } from '../../staff/audit.js';
import { authorizeEitherEnd, authorizeSite } from './transfers.js';

export interface Shipment {
  id: number;
  fromCounterId: number;
  toCounterId: number;
  fromName: string;
  toName: string;
  status: 'preparing' | 'shipped' | 'closed' | 'cancelled';
  createdBy: string;
  createdAt: Date;
  shippedBy: string | null;
  shippedAt: Date | null;
  closedBy: string | null;
  closedAt: Date | null;
}

export interface ShipmentCard {
  transferId: number;
  cardHolderId: number;
  noticeId: string;
  name: string;
  nameKana: string;
  /** Where it is stored now (at the source until received, then where it was put away). */
  storagePlace: string;
  status: 'requested' | 'shipped' | 'received' | 'cancelled';
  receivedAt: Date | null;
  receivedBy: string | null;
  closeReason: string | null;
}

/** Shipments with their sites' names, to be followed by a WHERE. */
const SHIPMENTS = `
  SELECT s.id, s.from_counter_id AS "fromCounterId", s.to_counter_id AS "toCounterId", f.name AS "fromName", d.name AS "toName", s.status::text AS status,
         s.created_by AS "createdBy", s.created_at AS "createdAt", s.shipped_by AS "shippedBy", s.shipped_at AS "shippedAt", s.closed_by AS "closedBy", s.closed_at AS "closedAt"
  FROM shipments s JOIN counters f ON f.id = s.from_counter_id JOIN counters d ON d.id = s.to_counter_id`;
const SHIPMENT = `${SHIPMENTS} WHERE s.id = $1::int`;

const CARDS = `
  SELECT t.id AS "transferId", h.id AS "cardHolderId", h.notice_id AS "noticeId", h.name, h.name_kana AS "nameKana", h.storage_place AS "storagePlace",
         t.status::text AS status, t.received_at AS "receivedAt", t.received_by AS "receivedBy", t.close_reason AS "closeReason"
  FROM card_transfers t JOIN card_holders h ON h.id = t.card_holder_id WHERE t.shipment_id = $1::int ORDER BY h.storage_place, h.notice_id`;

const notFound = () => new AppError(404, 'shipment_not_found', 'logistics.shipment.notFound');

/** A shipment with its cards, for a clerk at either end; audited (the list names people). */
export async function showShipment(tx: SqlTx, shipmentId: number, by: StaffPrincipal): Promise<{ shipment: Shipment; cards: ShipmentCard[] }> {
  const [shipment] = await tx.query<Shipment>(SHIPMENT, [shipmentId]);
  if (!shipment) throw notFound();
  authorizeEnd(by, shipment);
  const cards = await tx.query<ShipmentCard>(CARDS, [shipmentId]);
  await recordAudit(tx, { action: 'logistics.shipment.view', targetType: 'shipment', targetId: shipmentId, detail: { cards: cards.length } });
  return { shipment, cards };
}

/** A clerk at the source or the destination. */
function authorizeEnd(by: StaffPrincipal, shipment: Pick<Shipment, 'fromCounterId' | 'toCounterId'>, end?: 'from' | 'to'): void {
  if (end === 'from') return authorizeSite(by, shipment.fromCounterId);
  if (end === 'to') return authorizeSite(by, shipment.toCounterId);
  authorizeEitherEnd(by, shipment.fromCounterId, shipment.toCounterId);
}

// The requested transfers from the site to the destination that are in no list yet join the new list.
const LIST = `
  WITH shipment AS (INSERT INTO shipments (from_counter_id, to_counter_id, created_by) VALUES ($1::int, $2::int, $3) RETURNING id),
  listed AS (UPDATE card_transfers SET shipment_id = (SELECT id FROM shipment)
             WHERE from_counter_id = $1::int AND to_counter_id = $2::int AND status = 'requested' AND shipment_id IS NULL RETURNING id)
  SELECT (SELECT id FROM shipment) AS id, (SELECT count(*)::int FROM listed) AS cards`;

/** Makes the shipping list of every requested transfer from the site to the destination not yet listed; refused when there is none. */
export async function createShipment(tx: SqlTx, input: { fromCounterId: number; toCounterId: number; by: StaffPrincipal }): Promise<number> {
  authorizeSite(input.by, input.fromCounterId);
  if (input.fromCounterId === input.toCounterId) throw new AppError(400, 'same_site', 'logistics.request.sameSite');
  const [{ id, cards }] = await tx.query<{ id: number; cards: number }>(LIST, [input.fromCounterId, input.toCounterId, actorKey(tx.actor)]).catch(unknownSite);
  // Nothing to send (another clerk listed them a moment ago): the transaction rolls back.
  if (cards === 0) throw new AppError(409, 'nothing_to_ship', 'logistics.shipment.nothingToShip');
  await recordAudit(tx, { action: 'logistics.shipment.create', targetType: 'shipment', targetId: id, detail: { from: input.fromCounterId, to: input.toCounterId, cards } });
  return id;
}

/** A destination that is no counter (a foreign-key refusal) is a 400. */
function unknownSite(error: unknown): never {
  if ((error as { code?: string }).code === '23503') throw new AppError(400, 'unknown_site', 'logistics.request.unknownSite');
  throw error;
}

/** Locks the shipment (FOR NO KEY UPDATE: transfers may still point to it) and checks it is at `status` and the clerk works at `end`. */
async function lockShipment(tx: SqlTx, shipmentId: number, by: StaffPrincipal, status: Shipment['status'], end: 'from' | 'to'): Promise<Shipment> {
  const [shipment] = await tx.query<Shipment>(`${SHIPMENT} FOR NO KEY UPDATE OF s`, [shipmentId]);
  if (!shipment) throw notFound();
  authorizeEnd(by, shipment, end);
  if (shipment.status !== status) throw new AppError(409, 'shipment_status', `logistics.shipment.not.${status}`);
  return shipment;
}

/**
 * Marks the shipment shipped: its transfers still requested go in transit (one taken off the
 * list since it was printed stays off; the list shows it, to be taken out of the box). The
 * cards are locked first, in id order, so a booking changing one waits or is waited for.
 */
export async function shipShipment(tx: SqlTx, input: { shipmentId: number; by: StaffPrincipal }): Promise<number> {
  const cards = await tx.query<{ id: number }>(`SELECT card_holder_id AS id FROM card_transfers WHERE shipment_id = $1::int ORDER BY card_holder_id`, [input.shipmentId]);
  await tx.query(`SELECT id FROM card_holders WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE`, [cards.map((card) => card.id)]);
  await lockShipment(tx, input.shipmentId, input.by, 'preparing', 'from');
  const who = actorKey(tx.actor);
  const shipped = await tx.query(
    `UPDATE card_transfers SET status = 'shipped', shipped_at = now(), shipped_by = $2 WHERE shipment_id = $1::int AND status = 'requested' RETURNING id`,
    [input.shipmentId, who],
  );
  if (shipped.length === 0) throw new AppError(409, 'nothing_to_ship', 'logistics.shipment.nothingToShip');
  await tx.query(`UPDATE shipments SET status = 'shipped', shipped_at = now(), shipped_by = $2 WHERE id = $1::int`, [input.shipmentId, who]);
  await recordAudit(tx, { action: 'logistics.shipment.ship', targetType: 'shipment', targetId: input.shipmentId, detail: { cards: shipped.length } });
  return shipped.length;
}

/** Discards a list not yet shipped: its requested transfers wait for the next list. */
export async function discardShipment(tx: SqlTx, input: { shipmentId: number; by: StaffPrincipal }): Promise<void> {
  await lockShipment(tx, input.shipmentId, input.by, 'preparing', 'from');
  await tx.query(`UPDATE card_transfers SET shipment_id = NULL WHERE shipment_id = $1::int AND status = 'requested'`, [input.shipmentId]);
  await tx.query(`UPDATE shipments SET status = 'cancelled', closed_at = now(), closed_by = $2 WHERE id = $1::int`, [input.shipmentId, actorKey(tx.actor)]);
  await recordAudit(tx, { action: 'logistics.shipment.discard', targetType: 'shipment', targetId: input.shipmentId });
}

/**
 * The destination finishes receiving: the shipment is closed, and the cards not scanned are its
 * missing ones (they stay in transit: scanning one later still receives it).
 */
export async function finishShipment(tx: SqlTx, input: { shipmentId: number; by: StaffPrincipal }): Promise<{ missing: number }> {
  await lockShipment(tx, input.shipmentId, input.by, 'shipped', 'to');
  const [{ missing }] = await tx.query<{ missing: number }>(`SELECT count(*)::int AS missing FROM card_transfers WHERE shipment_id = $1::int AND status = 'shipped'`, [
    input.shipmentId,
  ]);
  await tx.query(`UPDATE shipments SET status = 'closed', closed_at = now(), closed_by = $2 WHERE id = $1::int`, [input.shipmentId, actorKey(tx.actor)]);
  await recordAudit(tx, { action: 'logistics.shipment.finish', targetType: 'shipment', targetId: input.shipmentId, detail: { missing } });
  return { missing };
}

export interface SiteOverview {
  /** Requested transfers from this site in no list yet, by destination. */
  toSend: { counterId: number; name: string; cards: number }[];
  /** Shipments from or to this site that are not finished. */
  shipments: (Shipment & { cards: number; received: number })[];
  /** Requested transfers to this site not yet shipped. */
  awaited: number;
  returned: number;
}

/** What a site has to do: lists to make, shipments on the way out and in, cards asked for, returned letters. */
export async function siteOverview(tx: Pick<SqlTx, 'query'>, siteId: number): Promise<SiteOverview> {
  const [toSend, shipments, [counts]] = await Promise.all([
    tx.query<SiteOverview['toSend'][number]>(
      `SELECT t.to_counter_id AS "counterId", c.name, count(*)::int AS cards FROM card_transfers t JOIN counters c ON c.id = t.to_counter_id
       WHERE t.from_counter_id = $1::int AND t.status = 'requested' AND t.shipment_id IS NULL GROUP BY t.to_counter_id, c.name, c.display_order ORDER BY c.display_order, t.to_counter_id`,
      [siteId],
    ),
    tx.query<SiteOverview['shipments'][number]>(
      `SELECT x.*, (SELECT count(*)::int FROM card_transfers t WHERE t.shipment_id = x.id AND t.status <> 'cancelled') AS cards,
              (SELECT count(*)::int FROM card_transfers t WHERE t.shipment_id = x.id AND t.status = 'received') AS received
       FROM (${SHIPMENTS} WHERE (s.from_counter_id = $1::int OR s.to_counter_id = $1::int) AND s.status IN ('preparing', 'shipped')) x ORDER BY x.id`,
      [siteId],
    ),
    tx.query<{ awaited: number; returned: number }>(
      `SELECT (SELECT count(*)::int FROM card_transfers WHERE to_counter_id = $1::int AND status = 'requested') AS awaited,
              (SELECT count(*)::int FROM card_holders WHERE counter_id = $1::int AND status = 'returned_undelivered') AS returned`,
      [siteId],
    ),
  ]);
  return { toSend, shipments, ...counts };
}
