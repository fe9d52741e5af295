import type { DbTx } from '../../db/client.js';
import type { CardStatus } from '../../generated/prisma/client.js';
import { actorKey } from '../staff/actors.js';
import type { AuditActor } from '../staff/audit.js';

/** Allowed moves of a card's status. Booking and hand-over move it automatically. */
export const CARD_TRANSITIONS: Record<CardStatus, CardStatus[]> = {
  data_received: ['card_arrived', 'on_hold', 'cancelled'],
  card_arrived: ['notice_sent', 'on_hold', 'cancelled'],
  notice_sent: ['booked', 'returned_undelivered', 'on_hold', 'cancelled', 'handed_over'],
  booked: ['notice_sent', 'handed_over', 'on_hold', 'cancelled'],
  returned_undelivered: ['notice_sent', 'on_hold', 'cancelled'],
  on_hold: ['card_arrived', 'notice_sent', 'cancelled'],
  handed_over: [],
  cancelled: [],
};

/** Reasons the system records in a card's history: stored as these keys, shown translated. */
export const CARD_REASONS = {
  booked: 'cards.reason.booked',
  bookingCancelled: 'cards.reason.bookingCancelled',
  familyRemoved: 'cards.reason.familyRemoved',
  check_in: 'cards.reason.check_in',
  hand_over: 'cards.reason.hand_over',
  no_show: 'cards.reason.no_show',
  quickAdded: 'cards.history.quickAdded',
  bulkChange: 'cards.reason.bulkChange',
} as const;

const REASON_KEYS = new Set<string>(Object.values(CARD_REASONS));

/** A history reason as a person reads it: a system reason translated, a clerk's own words as typed. */
export function reasonText(reason: string, t: (key: string) => string): string {
  return REASON_KEYS.has(reason) ? t(reason) : reason;
}

export class CardTransitionError extends Error {
  constructor(
    readonly from: CardStatus,
    readonly to: CardStatus,
  ) {
    super(`card status cannot move from ${from} to ${to}`);
  }
}

export function canMoveCard(from: CardStatus, to: CardStatus): boolean {
  return CARD_TRANSITIONS[from].includes(to);
}

/**
 * Moves a card to a new status and records who, when, from, to and why. A move to the status
 * it already has changes nothing. Throws CardTransitionError for a move that is not allowed.
 * `reason` is a CARD_REASONS key (shown translated) or text a clerk typed.
 */
export async function changeCardStatus(tx: DbTx, cardHolderId: number, to: CardStatus, actor: AuditActor, reason = ''): Promise<void> {
  const [holder] = await tx.$queryRaw<{ status: CardStatus }[]>`SELECT status FROM card_holders WHERE id = ${cardHolderId} FOR UPDATE`;
  if (!holder || holder.status === to) return;
  if (!canMoveCard(holder.status, to)) throw new CardTransitionError(holder.status, to);
  await tx.cardHolder.update({ where: { id: cardHolderId }, data: { status: to } });
  await tx.cardStatusChange.create({ data: { cardHolderId, fromStatus: holder.status, toStatus: to, actor: actorKey(actor), reason } });
}
