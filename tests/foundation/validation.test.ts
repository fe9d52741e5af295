// The one way every route reads an id, a date, a month or a line of text (src/lib/validation.ts).
import { describe, expect, it } from 'vitest';
import { hasControlCharacters, isCalendarDate, isMonth, lineSchema, MAX_ID, parseId } from '../../src/lib/validation.js';

describe('shared input parsers', () => {
  it('When an id is read, then only digits from 1 to 2^31-1 are an id (full-width digits are read as digits)', () => {
    expect(['1', '42', ' 7 ', '１２', String(MAX_ID), 5].map(parseId)).toEqual([1, 42, 7, 12, MAX_ID, 5]);
    expect(['0', '-1', '2147483648', '99999999999999999999', '1e3', '0x10', '1.5', '', 'abc', '\u0000', '1\u00002', ['1', '2'], null, undefined, 2 ** 40].map(parseId)).toEqual(
      Array(15).fill(undefined),
    );
  });

  it('When a date is read, then only a day that exists, in a year from 1900 to 2199, is a date', () => {
    expect(['2026-02-28', '2028-02-29', '1900-01-01', '2199-12-31'].map(isCalendarDate)).toEqual([true, true, true, true]);
    expect(
      ['2026-02-31', '2027-02-29', '2026-13-45', '2026-00-10', '0000-01-01', '1899-12-31', '2200-01-01', '2026-1-1', '2026-02-28\u0000', 20260228].map(isCalendarDate),
    ).toEqual(Array(10).fill(false));
  });

  it('When a month is read, then only YYYY-MM with a month 01-12 in a sane year is a month', () => {
    expect(['2026-01', '2026-12'].map(isMonth)).toEqual([true, true]);
    expect(['0000-01', '2026-13', '2026-00', '2026-1', '99999-01'].map(isMonth)).toEqual(Array(5).fill(false));
  });

  it('When a line of text holds a NUL byte or another control character, then it is refused', () => {
    expect(['a\u0000b', 'a\nb', 'a\rb', 'a\tb', 'a\u007fb'].map(hasControlCharacters)).toEqual(Array(5).fill(true));
    expect(hasControlCharacters('山田　太郎 yamada@example.jp')).toBe(false);
    expect(lineSchema(10).safeParse('  山田  ').data).toBe('山田');
    expect(lineSchema(10).safeParse('a\u0000').success).toBe(false);
    expect(lineSchema(3).safeParse('abcd').success).toBe(false);
  });
});
