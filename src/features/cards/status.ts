import type { DbTx } from '../../db/client.js';
import type { CardStatus } from '../../generated/prisma/client.js';

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
 */
export async function changeCardStatus(tx: DbTx, cardHolderId: number, to: CardStatus, actor: string, reason = ''): Promise<void> {
  const [holder] = await tx.$queryRaw<{ status: CardStatus }[]>`SELECT status FROM card_holders WHERE id = ${cardHolderId} FOR UPDATE`;
  if (!holder || holder.status === to) return;
  if (!canMoveCard(holder.status, to)) throw new CardTransitionError(holder.status, to);
  await tx.cardHolder.update({ where: { id: cardHolderId }, data: { status: to } });
  await tx.cardStatusChange.create({ data: { cardHolderId, fromStatus: holder.status, toStatus: to, actor, reason } });
}
