// What a booking event does to the cards of the people booked (see CARD_EFFECTS): the one
// place the booking commands change card statuses.
import type { SqlTx } from '../../db/transaction.js';
import type { CardStatus } from '../../generated/prisma/client.js';
import { changeCardStatus } from '../cards/status.js';
import { reconcileTransfers } from '../cards/logistics/transfers.js';
import { CARD_EFFECTS, type BookingEvent } from './rules.js';

/**
 * Moves the cards of the card holders `people` as `event` says, and brings their transfers
 * between sites in line (a card booked at another site is asked for there). A card that arrived but whose notice was never
 * recorded as sent goes through 'notice_sent' when booked (`statuses`: as locked). A refused
 * move throws CardTransitionError, unless `keepRefused` (a job tidying up leaves such a card).
 */
export async function applyCardEvent(
  tx: SqlTx,
  event: BookingEvent,
  people: (number | null)[],
  statuses?: Map<number, CardStatus>,
  options: { keepRefused?: boolean } = {},
): Promise<void> {
  // Applicants (null: no card holder) have no card to move.
  const ids = people.filter((id): id is number => id !== null);
  if (ids.length === 0) return;
  const { to, reason } = CARD_EFFECTS[event];
  const arrived = event === 'booked' ? ids.filter((id) => statuses?.get(id) === 'card_arrived') : [];
  if (arrived.length > 0) await changeCardStatus(tx, arrived, 'notice_sent', reason);
  // Sent together (the connection pipelines them in order, so the transfers see the new statuses):
  // the slot's row lock is held until COMMIT, and each round trip waited for here holds it longer.
  await Promise.all([changeCardStatus(tx, ids, to, reason, options), reconcileTransfers(tx, ids)]);
}
