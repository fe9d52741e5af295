// Whether a slot may be booked, changed or cancelled now, by the counter's booking policy.
// All in Japan time. The deadline counts the counter's opening days (開庁日), not calendar days.
import { now as clockNow } from '../../lib/clock.js';
import { addDays, jstInstant, jstDateOf, todayInJapan, type IsoDate } from '../../lib/jst.js';
import type { OpeningDays } from '../schedule/opening-days.js';
import type { BookingPolicyRules } from '../schedule/policy.js';

export type WindowProblem = 'not_open_yet' | 'deadline_passed' | null;

/** Without a counter's timetable every day counts (used only where no counter is known). */
const EVERY_DAY: OpeningDays = () => true;

/** How far back the deadline is looked for before falling back to calendar days. */
const LOOKBACK_DAYS = 366;

/** The last moment a visit on `date` may be booked: closesAt on the Nth opening day before it. */
export function bookingDeadline(date: IsoDate, policy: BookingPolicyRules, isOpeningDay: OpeningDays = EVERY_DAY): Date {
  let day = date;
  let counted = 0;
  for (let step = 0; counted < policy.closesDaysBefore && step < LOOKBACK_DAYS; step++) {
    day = addDays(day, -1);
    if (isOpeningDay(day)) counted += 1;
  }
  if (counted < policy.closesDaysBefore) day = addDays(date, -policy.closesDaysBefore);
  return jstInstant(day, policy.closesAtMinute);
}

/**
 * The last moment a visit starting at `startsAt` may be booked, changed or cancelled on the
 * web: some minutes before it where the same day is allowed (a PIN reset), else the day's deadline.
 */
export function slotBookingDeadline(startsAt: Date, policy: BookingPolicyRules, isOpeningDay: OpeningDays = EVERY_DAY): Date {
  if (policy.sameDayAllowed) return new Date(startsAt.getTime() - policy.sameDayUntilMinutes * 60_000);
  return bookingDeadline(jstDateOf(startsAt), policy, isOpeningDay);
}

/** The first moment a visit on `date` may be booked: midnight JST, opensDaysAhead days before. */
export function bookingOpensAt(date: IsoDate, policy: BookingPolicyRules): Date {
  return jstInstant(addDays(date, -policy.opensDaysAhead));
}

/** Why a slot cannot be booked now, or null when it can. */
export function bookingWindowProblem(startsAt: Date, policy: BookingPolicyRules, now = clockNow(), isOpeningDay: OpeningDays = EVERY_DAY): WindowProblem {
  if (startsAt.getTime() <= now.getTime()) return 'deadline_passed';
  const date = jstDateOf(startsAt);
  const today = todayInJapan(now);
  if (date > addDays(today, policy.opensDaysAhead)) return 'not_open_yet';
  if (date === today && !policy.sameDayAllowed) return 'deadline_passed';
  return now.getTime() <= slotBookingDeadline(startsAt, policy, isOpeningDay).getTime() ? null : 'deadline_passed';
}

/** Changes and cancellations follow the same deadline (how far ahead does not matter). */
export function changeWindowProblem(startsAt: Date, policy: BookingPolicyRules, now = clockNow(), isOpeningDay: OpeningDays = EVERY_DAY): WindowProblem {
  const problem = bookingWindowProblem(startsAt, policy, now, isOpeningDay);
  return problem === 'not_open_yet' ? null : problem;
}
