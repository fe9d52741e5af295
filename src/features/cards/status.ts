import type { SqlTx } from '../../db/transaction.js';
import type { CardStatus } from '../../generated/prisma/client.js';
import { actorKey } from '../../lib/actor.js';

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
  // A returned notice letter (返戻), by what the post office wrote on it.
  returnedAddressUnknown: 'cards.reason.returned.address_unknown',
  returnedMoved: 'cards.reason.returned.moved',
  returnedRefused: 'cards.reason.returned.refused',
  returnedUnclaimed: 'cards.reason.returned.unclaimed',
  returnedOther: 'cards.reason.returned.other',
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

/** The statuses a card may come from to reach `to`. */
const CARD_SOURCES = Object.fromEntries(
  (Object.keys(CARD_TRANSITIONS) as CardStatus[]).map((to) => [to, (Object.keys(CARD_TRANSITIONS) as CardStatus[]).filter((from) => CARD_TRANSITIONS[from].includes(to))]),
) as Record<CardStatus, CardStatus[]>;

// In one statement: lock the cards, move those allowed to move, write their history, and
// report every card's status before (a card already at `to` is left as it is).
const MOVE_CARDS = `
  WITH before AS (SELECT id, status FROM card_holders WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE),
  moved AS (UPDATE card_holders c SET status = $2::card_status, updated_at = now() FROM before b
            WHERE c.id = b.id AND b.status::text = ANY($3::text[]) RETURNING c.id, b.status AS from_status),
  history AS (INSERT INTO card_status_changes (card_holder_id, from_status, to_status, actor, reason)
              SELECT id, from_status, $2::card_status, $4, $5 FROM moved ORDER BY id)
  SELECT id, status::text AS status FROM before`;

/**
 * Moves cards to a new status and records who (the transaction's actor), when, from, to and
 * why. A card already at that status is left as it is. Throws CardTransitionError (and the
 * transaction rolls back) when a card may not make the move. `reason` is a CARD_REASONS key
 * (shown translated) or text a clerk typed. Returns the cards' statuses before the move.
 * With `keepRefused`, a card that may not move stays as it is instead (a job tidying up).
 */
export async function changeCardStatus(
  tx: SqlTx,
  cardHolderIds: number | number[],
  to: CardStatus,
  reason = '',
  options: { keepRefused?: boolean } = {},
): Promise<Map<number, CardStatus>> {
  const ids = typeof cardHolderIds === 'number' ? [cardHolderIds] : cardHolderIds;
  const before = await tx.query<{ id: number; status: CardStatus }>(MOVE_CARDS, [ids, to, CARD_SOURCES[to], actorKey(tx.actor), reason]);
  const refused = before.find((card) => card.status !== to && !canMoveCard(card.status, to));
  if (refused && !options.keepRefused) throw new CardTransitionError(refused.status, to);
  return new Map(before.map((card) => [card.id, card.status]));
}
