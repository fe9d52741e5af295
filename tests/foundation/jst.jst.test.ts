import { describe, expect, it } from 'vitest';
import { addDays, dayOfWeek, formatDateJa, jstDateOf, jstInstant, jstMinutesOf, todayInJapan } from '../../src/lib/jst.js';

// Runs under TZ=UTC and TZ=America/Los_Angeles (see vitest.config.ts).
describe('Japan time whatever the server TZ', () => {
  it('When it is 15:30 UTC, then it is already tomorrow in Japan', () => {
    expect(todayInJapan(new Date('2026-12-31T15:30:00Z'))).toBe('2027-01-01');
    expect(jstDateOf(new Date('2026-12-31T14:59:59Z'))).toBe('2026-12-31');
  });

  it('When 9:00 JST on a date is asked for, then it is 0:00 UTC on that date', () => {
    expect(jstInstant('2026-03-08', 9 * 60).toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(jstMinutesOf(new Date('2026-03-08T00:15:00Z'))).toBe(9 * 60 + 15);
  });

  it('When days are added across month, year and US daylight-saving boundaries, then the calendar is right', () => {
    expect(addDays('2026-03-07', 2)).toBe('2026-03-09'); // US DST starts 2026-03-08
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(dayOfWeek('2026-11-21')).toBe(6);
    expect(formatDateJa('2026-11-23')).toBe('2026年11月23日(月)');
  });
});
