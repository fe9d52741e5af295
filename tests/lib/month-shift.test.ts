// shiftMonth (src/lib/jst.ts) steps across year ends both ways, as the booking calendar and the inquiry counts use it.
import { describe, expect, it } from 'vitest';
import { shiftMonth } from '../../src/lib/jst.js';

describe('shiftMonth', () => {
  it('When a month is moved forward or back across a year end, then the year follows and the month keeps two digits', () => {
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(shiftMonth('2027-01', -1)).toBe('2026-12');
    expect(shiftMonth('2027-02', -11)).toBe('2026-03');
    expect(shiftMonth('2027-02', -25)).toBe('2025-01');
    expect(shiftMonth('2027-02', 0)).toBe('2027-02');
    expect(shiftMonth('2027-02', 22)).toBe('2028-12');
  });
});
