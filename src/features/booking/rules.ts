// What booking events do, for the booking commands: the card status each event moves a card to,
// and how a visit moves a booking. (What an open booking is and the places left are in
// src/domain/booking-rules.ts, shared with the other features.)
import type { BookingStatus, CardStatus } from '../../generated/prisma/client.js';
import { OPEN_BOOKING_STATUSES } from '../../domain/booking-rules.js';
import { CARD_REASONS } from '../cards/status.js';

export type BookingEvent = 'booked' | 'cancelled' | 'familyRemoved' | 'handedOver' | 'noShow';

/** What each booking event does to the card: the status it moves to and the reason in its history. */
export const CARD_EFFECTS: Record<BookingEvent, { to: CardStatus; reason: string }> = {
  booked: { to: 'booked', reason: CARD_REASONS.booked },
  cancelled: { to: 'notice_sent', reason: CARD_REASONS.bookingCancelled },
  familyRemoved: { to: 'notice_sent', reason: CARD_REASONS.familyRemoved },
  handedOver: { to: 'handed_over', reason: CARD_REASONS.hand_over },
  // A no-show may book again.
  noShow: { to: 'notice_sent', reason: CARD_REASONS.no_show },
};

export type VisitAction = 'check_in' | 'hand_over' | 'no_show';

/** How a visit moves a booking: from which statuses, to which, and the card event it causes. */
export const VISIT_MOVES: Record<VisitAction, { from: BookingStatus[]; to: BookingStatus; card?: BookingEvent }> = {
  check_in: { from: ['active'], to: 'checked_in' },
  hand_over: { from: OPEN_BOOKING_STATUSES, to: 'handed_over', card: 'handedOver' },
  no_show: { from: ['active'], to: 'no_show', card: 'noShow' },
};
