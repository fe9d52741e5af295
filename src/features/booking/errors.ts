import { AppError } from '../../lib/app-error.js';

/** Stable codes the booking use cases refuse with; pages show t(`booking.error.<code>`). */
export type BookingErrorCode =
  | 'slot_not_found'
  | 'slot_full'
  | 'already_booked'
  | 'deadline_passed'
  | 'not_open_yet'
  | 'card_not_bookable'
  | 'applicant_not_found'
  | 'procedure_needs_notice_id'
  | 'too_many_people'
  | 'booking_not_found'
  | 'same_slot'
  | 'cannot_remove_primary'
  | 'hold_not_found'
  | 'hold_changed'
  | 'overbook_forbidden'
  | 'procedure_not_offered'
  | 'procedure_slot_full'
  | 'procedure_day_full'
  | 'procedure_too_long';

const STATUS: Record<BookingErrorCode, number> = {
  slot_not_found: 404,
  slot_full: 409,
  already_booked: 409,
  deadline_passed: 409,
  not_open_yet: 409,
  card_not_bookable: 409,
  applicant_not_found: 404,
  procedure_needs_notice_id: 409,
  too_many_people: 400,
  booking_not_found: 404,
  same_slot: 400,
  cannot_remove_primary: 400,
  hold_not_found: 409,
  hold_changed: 409,
  overbook_forbidden: 403,
  procedure_not_offered: 409,
  procedure_slot_full: 409,
  procedure_day_full: 409,
  procedure_too_long: 409,
};

/** Every code, for the check that each has a message people can read. */
export const BOOKING_ERROR_CODES = Object.keys(STATUS) as BookingErrorCode[];

export class BookingError extends AppError {
  constructor(readonly code: BookingErrorCode) {
    super(STATUS[code], code, `booking.error.${code}`);
  }
}

/**
 * The refusal a booking or hold row met in PostgreSQL, as people are told it: a second active
 * booking for a card holder (invariant 2), or a procedure deleted after the command read it.
 * Anything else is thrown as it is.
 */
export function refusalOfRow(error: unknown): never {
  const constraint = (error as { constraint?: string })?.constraint ?? '';
  if (constraint === 'bookings_one_active_per_card_holder' || constraint === 'bookings_one_active_per_applicant_procedure') throw new BookingError('already_booked');
  if (constraint.endsWith('_procedure_code_fkey')) throw new BookingError('procedure_not_offered');
  throw error;
}
