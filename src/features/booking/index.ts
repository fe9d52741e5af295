// The booking module: every caller (citizen pages, console, jobs) books, changes and records
// visits through these commands, each run in the caller's transaction (src/db/transaction.ts).
export { BOOKING_TRANSACTION } from './transaction-options.js';
export { holdSlot, bookSlot, type BookSlotInput, type BookedGroup } from './book.js';
export { moveBooking, cancelBooking, addFamilyMember, removeFamilyMember } from './change.js';
export { checkIn, handOver, markNoShow, markNoShowsOfDay, markPastBookingsNoShow, unvisitedOfDay } from './visits.js';
export { releaseHold, releaseExpiredHolds, anyExpiredHold, heldSlot } from './holds.js';
export { activeBookingOf } from './reads.js';
export { type VisitAction } from './rules.js';
export { BookingError, type BookingErrorCode } from './errors.js';
export { bookingWindowProblem, changeWindowProblem } from './window.js';
export { slotDeadline } from './counter-rules.js';
export { monthCalendar, dayTimes, dayPage, listCounters } from './availability.js';
export { runsOfDay } from './runs.js';
