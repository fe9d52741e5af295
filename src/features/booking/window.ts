// Whether a slot may be booked, changed or cancelled now, by the counter's booking policy.
// All in Japan time.
import { now as clockNow } from '../../lib/clock.js';
import { addDays, jstInstant, jstDateOf, todayInJapan } from '../../lib/jst.js';
import type { BookingPolicyRules } from '../schedule/policy.js';

export type WindowProblem = 'not_open_yet' | 'deadline_passed' | null;

/** Why a slot cannot be booked now, or null when it can. */
export function bookingWindowProblem(startsAt: Date, policy: BookingPolicyRules, now = clockNow()): WindowProblem {
  if (startsAt.getTime() <= now.getTime()) return 'deadline_passed';
  const date = jstDateOf(startsAt);
  const today = todayInJapan(now);
  if (date > addDays(today, policy.opensDaysAhead)) return 'not_open_yet';
  if (date === today) {
    const sameDayOk = policy.sameDayAllowed && now.getTime() <= startsAt.getTime() - policy.sameDayUntilMinutes * 60_000;
    return sameDayOk ? null : 'deadline_passed';
  }
  const deadline = jstInstant(addDays(date, -policy.closesDaysBefore), policy.closesAtMinute);
  return now.getTime() <= deadline.getTime() ? null : 'deadline_passed';
}

/** Changes and cancellations follow the same deadline (how far ahead does not matter). */
export function changeWindowProblem(startsAt: Date, policy: BookingPolicyRules, now = clockNow()): WindowProblem {
  const problem = bookingWindowProblem(startsAt, policy, now);
  return problem === 'not_open_yet' ? null : problem;
}
