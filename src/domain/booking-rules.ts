// The booking vocabulary every feature shares (the booking commands, the console, cards, the
// schedule, reports): which bookings are open, which cards may book, and how many places are
// left for the web and for staff. Pure rules with no feature behind them, so any feature may
// import them without a cycle.
import type { BookingStatus, CardStatus, Prisma } from '../generated/prisma/client.js';

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
