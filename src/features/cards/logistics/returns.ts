// Returned notice letters (返戻): the post office brings back letters it could not deliver;
// staff scan each one and its card becomes "returned, not delivered" (返戻(通知書不着)) through
// the status workflow, with the post office's reason in its history. The site's list of such
// cards is the follow-up list for the cards that could not be delivered.
import type { SqlTx } from '../../../db/transaction.js';
import { can, type StaffPrincipal } from '../../../policies/index.js';
import { recordAudit } from '../../staff/audit.js';
import { CARD_REASONS, canMoveCard, changeCardStatus } from '../status.js';
import type { CardStatus } from '../../../generated/prisma/client.js';
import { lockCardByNoticeId } from './receiving.js';
import { authorizeSite } from './transfers.js';

export const RETURN_REASONS = ['returnedAddressUnknown', 'returnedMoved', 'returnedRefused', 'returnedUnclaimed', 'returnedOther'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

export type ReturnAnswer =
  | { kind: 'marked' | 'already' }
  /** The card's status does not allow it (booked, handed over, ...): shown with the status. */
  | { kind: 'refused'; status: CardStatus }
  | { kind: 'other_site'; siteName: string }
  | { kind: 'unknown' };

/** One returned letter scanned at `siteId`: its card is marked returned_undelivered with the reason. */
export async function markReturned(tx: SqlTx, input: { siteId: number; noticeId: string; reason: ReturnReason; by: StaffPrincipal }): Promise<ReturnAnswer> {
  authorizeSite(input.by, input.siteId);
  const card = await lockCardByNoticeId(tx, input.noticeId);
  if (!card) return { kind: 'unknown' };
  // A letter is registered where its card is kept (or by a clerk who may work there too).
  if (card.siteId !== null && card.siteId !== input.siteId && !can(input.by, 'logistics.work', card.siteId)) return { kind: 'other_site', siteName: card.siteName ?? '' };
  const status = card.status as CardStatus;
  if (status === 'returned_undelivered') return { kind: 'already' };
  if (!canMoveCard(status, 'returned_undelivered')) return { kind: 'refused', status };
  await changeCardStatus(tx, card.id, 'returned_undelivered', CARD_REASONS[input.reason]);
  await recordAudit(tx, { action: 'logistics.returned', targetType: 'card_holder', targetId: card.id, detail: { reason: input.reason } });
  return { kind: 'marked' };
}

export interface ReturnedCard {
  id: number;
  noticeId: string;
  name: string;
  nameKana: string;
  storagePlace: string;
  returnedAt: Date | null;
  reason: string;
}

/** The site's cards whose letter came back, newest return first; audited (a list of people). */
export async function returnedCards(tx: SqlTx, siteId: number, by: StaffPrincipal): Promise<ReturnedCard[]> {
  authorizeSite(by, siteId);
  const rows = await tx.query<ReturnedCard>(
    `SELECT h.id, h.notice_id AS "noticeId", h.name, h.name_kana AS "nameKana", h.storage_place AS "storagePlace", last.at AS "returnedAt", coalesce(last.reason, '') AS reason
     FROM card_holders h
     LEFT JOIN LATERAL (SELECT at, reason FROM card_status_changes WHERE card_holder_id = h.id AND to_status = 'returned_undelivered' ORDER BY id DESC LIMIT 1) last ON true
     WHERE h.counter_id = $1::int AND h.status = 'returned_undelivered' ORDER BY last.at DESC NULLS LAST, h.id`,
    [siteId],
  );
  await recordAudit(tx, { action: 'logistics.returns.view', targetType: 'counter', targetId: siteId, detail: { rows: rows.length } });
  return rows;
}
