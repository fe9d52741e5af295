// Dates in J-LIS lines and the quick-add form: a real calendar date or nothing. Checked against
// the calendar JavaScript's Date keeps (proleptic Gregorian), day by day around every edge.
import { describe, expect, it } from 'vitest';
import { DATE_FORMATS, normaliseKana, parseDate } from '../../src/features/cards/card-row.js';

function calendarDate(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

const pad = (value: number) => String(value).padStart(2, '0');

describe('parseDate', () => {
  it('When every month 0-13 and day 0-32 of leap and common years (1899, 1900, 2000, 2024, 2025, 2100) is given in each format, then exactly the real dates come back, as YYYY-MM-DD', () => {
    let real = 0;
    for (const year of [1899, 1900, 2000, 2024, 2025, 2100]) {
      for (let month = 0; month <= 13; month += 1) {
        for (let day = 0; day <= 32; day += 1) {
          const expected = calendarDate(year, month, day);
          if (expected) real += 1;
          expect(parseDate(`${year}${pad(month)}${pad(day)}`, 'YYYYMMDD')).toBe(expected);
          for (const format of DATE_FORMATS.filter((format) => format !== 'YYYYMMDD')) {
            const separator = format[4];
            expect(parseDate(`${year}${separator}${month}${separator}${day}`, format)).toBe(expected);
            expect(parseDate(`${year}${separator}${pad(month)}${separator}${pad(day)}`, format)).toBe(expected);
          }
        }
      }
    }
    expect(real).toBe(365 * 3 + 366 * 2); // 1899 gives none; 2000 and 2024 are leap years, 1900 and 2100 are not
  });

  it('When a date is written in another layout than the profile says, then YYYYMMDD is still read and anything else is refused', () => {
    expect(parseDate('20260229', 'YYYY-MM-DD')).toBeNull();
    expect(parseDate('20280229', 'YYYY/MM/DD')).toBe('2028-02-29');
    expect(parseDate('2026/1/5', 'YYYY-MM-DD')).toBeNull();
    expect(parseDate('2026-1-5 ', 'YYYY-MM-DD')).toBeNull();
  });
});

describe('normaliseKana', () => {
  const byNfkc = (value: string) => value.replace(/[\uFF61-\uFF9F]+/g, (run) => run.normalize('NFKC'));
  const half = Array.from({ length: 0xff9f - 0xff61 + 1 }, (_, index) => String.fromCharCode(0xff61 + index));

  it('When every run of one to three half-width katakana (voiced marks included) is folded, alone and between other characters, then the result is what NFKC makes of the run, and the rest is left as it was', () => {
    const contexts = ['', 'A', 'カ', '髙', ' ', 'ｶ\u3099'];
    let compared = 0;
    for (const first of half) {
      for (const second of ['', ...half]) {
        for (const before of contexts) {
          for (const after of contexts) {
            const value = `${before}${first}${second}${after}`;
            expect(normaliseKana(value), value).toBe(byNfkc(value));
            compared += 1;
          }
        }
        for (const third of half) {
          const value = `${first}${second}${third}`;
          if (normaliseKana(value) !== byNfkc(value)) expect(normaliseKana(value), value).toBe(byNfkc(value));
          compared += 1;
        }
      }
    }
    expect(compared).toBe(63 * 64 * 36 + 63 * 64 * 63);
  });

  it('When a name has no half-width katakana, or is long, then it comes back unchanged, or folded whole', () => {
    expect(normaliseKana('タカサキ タロウ')).toBe('タカサキ タロウ');
    expect(normaliseKana('髙﨑 太郎')).toBe('髙﨑 太郎');
    const long = 'ｶﾞｷﾞ'.repeat(50_000);
    expect(normaliseKana(long)).toBe('ガギ'.repeat(50_000));
  });
});
