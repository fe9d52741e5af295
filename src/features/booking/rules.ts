// The booking rules every caller shares (citizen pages, console, jobs): which bookings are
// open, how many places a citizen may take, which cards may book, and what each booking event
// does to the card's status.
import type { BookingStatus, CardStatus, Prisma } from '../../generated/prisma/client.js';
import { CARD_REASONS } from '../cards/status.js';

/** A booking that still holds its place: booked, or checked in and not yet handed over. */
export const OPEN_BOOKING_STATUSES: BookingStatus[] = ['active', 'checked_in'];
export const openBooking = { status: { in: OPEN_BOOKING_STATUSES } } satisfies Prisma.BookingWhereInput;
/** OPEN_BOOKING_STATUSES for SQL texts: `status IN ${OPEN_BOOKING_SQL}`. */
export const OPEN_BOOKING_SQL = `('active', 'checked_in')`;

/** Card statuses from which a booking can be made ('booked' only without an open booking). */
export const BOOKABLE_CARD_STATUSES: CardStatus[] = ['card_arrived', 'notice_sent', 'booked'];

interface SlotPlaces {
  capacity: number;
  reservedCapacity: number;
  booked: number;
}

/** Places a citizen may still take on the web: capacity less the places held back for staff and those taken. */
export const webPlacesLeft = (slot: SlotPlaces) => Math.max(0, slot.capacity - slot.reservedCapacity - slot.booked);
/** Places staff may still take (held-back places included). */
export const allPlacesLeft = (slot: SlotPlaces) => Math.max(0, slot.capacity - slot.booked);
/** webPlacesLeft in SQL, for the slots row `alias`. */
export const webPlacesLeftSql = (alias: string) => `greatest(0, ${alias}.capacity - ${alias}.reserved_capacity - ${alias}.booked)`;

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
