// What other features use from booking (the staff console, the jobs).
export { releaseExpiredHolds, holdSlot, releaseHold, currentHold } from './holds.js';
export { bookSlot, moveBooking, cancelBooking, addFamilyMember, removeFamilyMember, activeBookingOf } from './service.js';
export { BookingError, type BookingErrorCode } from './errors.js';
export { bookingWindowProblem, changeWindowProblem } from './window.js';
export { monthCalendar, dayTimes, listCounters } from './availability.js';
