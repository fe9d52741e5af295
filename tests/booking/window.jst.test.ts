import { describe, expect, it } from 'vitest';
import { bookingWindowProblem, changeWindowProblem } from '../../src/features/booking/window.js';
import { jstInstant } from '../../src/lib/jst.js';
import type { BookingPolicyRules } from '../../src/features/schedule/policy.js';

const policy: BookingPolicyRules = { opensDaysAhead: 30, closesDaysBefore: 1, closesAtMinute: 17 * 60, sameDayAllowed: false, sameDayUntilMinutes: 60, maxPeoplePerBooking: 5 };
const visit = jstInstant('2026-12-10', 9 * 60); // Thursday 09:00 JST

describe('booking window in Japan time', () => {
  it('When it is 16:59 JST the day before, then booking is open; at 17:01 JST it has closed', () => {
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-09', 16 * 60 + 59))).toBeNull();
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-09', 17 * 60 + 1))).toBe('deadline_passed');
  });

  it('When the visit is further ahead than the policy opens, then it is not open yet, but a change of an existing booking is not refused for that', () => {
    const far = jstInstant('2027-01-20', 9 * 60);
    expect(bookingWindowProblem(far, policy, jstInstant('2026-12-01', 10 * 60))).toBe('not_open_yet');
    expect(changeWindowProblem(far, policy, jstInstant('2026-12-01', 10 * 60))).toBeNull();
  });

  it('When same-day booking is allowed, then it closes the set minutes before the time', () => {
    const sameDay = { ...policy, sameDayAllowed: true };
    expect(bookingWindowProblem(visit, sameDay, jstInstant('2026-12-10', 7 * 60 + 59))).toBeNull();
    expect(bookingWindowProblem(visit, sameDay, jstInstant('2026-12-10', 8 * 60 + 1))).toBe('deadline_passed');
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-10', 7 * 60))).toBe('deadline_passed');
  });
});
