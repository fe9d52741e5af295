// One card holder's data as it arrives (an import line or the quick-add form), checked the same
// way wherever it comes from. The birth date is reduced to its HMAC here and never kept.
import { isNoticeId, noticeIdOf } from '../../lib/notice-id.js';
import { toHalfWidth } from '../../lib/width.js';
import { birthKey, isValidMonthDay } from '../citizen/birth-key.js';

export const CARD_FIELDS = ['noticeId', 'birthDate', 'name', 'nameKana', 'cardNumber', 'counterCode', 'storagePlace', 'noticeSentOn', 'noticeValidUntil'] as const;
export type CardField = (typeof CARD_FIELDS)[number];
export type RawCardRow = Partial<Record<CardField, string>>;

export const DATE_FORMATS = ['YYYYMMDD', 'YYYY-MM-DD', 'YYYY/MM/DD'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export interface CardRow {
  noticeId: string;
  birthKey: string;
  name: string;
  nameKana: string;
  cardNumber: string | null;
  counterCode: string;
  storagePlace: string;
  noticeSentOn: string | null; // IsoDate
  noticeValidUntil: string | null;
}

export interface RowProblem {
  field: CardField | 'encoding' | 'columns';
  key: string;
  params?: Record<string, string | number>;
}

export type CheckedRow = { ok: true; row: CardRow } | { ok: false; problem: RowProblem; noticeId: string };

/** How a good row's birth date becomes its key: birthKey under the pepper, at once (keyUnder) or later (an import). */
export type BirthKeyOf = (noticeId: string, mmdd: string) => string;
export const keyUnder =
  (pepper: string): BirthKeyOf =>
  (noticeId, mmdd) =>
    birthKey(pepper, noticeId, mmdd);

const MAX_TEXT = 100;
const DATE_PATTERNS: Record<DateFormat, RegExp> = {
  YYYYMMDD: /^(\d{4})(\d{2})(\d{2})$/,
  'YYYY-MM-DD': /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
  'YYYY/MM/DD': /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/,
};

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const twoDigits = (value: number) => (value < 10 ? `0${value}` : String(value));

/** The number written by `count` ASCII digits from `start`; -1 when one is not a digit. */
function digitsAt(value: string, start: number, count: number): number {
  let number = 0;
  for (let at = start; at < start + count; at += 1) {
    const digit = value.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

/** A real calendar date in the given format, as an IsoDate; null when impossible (e.g. 0231). */
export function parseDate(value: string, format: DateFormat): string | null {
  // Eight digits can only be YYYYMMDD, whatever the format (every format accepts it).
  if (value.length === 8 && digitsAt(value, 0, 8) >= 0) return calendarDate(digitsAt(value, 0, 4), digitsAt(value, 4, 2), digitsAt(value, 6, 2));
  const match = DATE_PATTERNS[format].exec(value);
  return match ? calendarDate(Number(match[1]), Number(match[2]), Number(match[3])) : null;
}

function calendarDate(year: number, month: number, day: number): string | null {
  if (year < 1900 || month < 1 || month > 12 || day < 1) return null;
  if (day > DAYS_IN_MONTH[month - 1] + (month === 2 && isLeapYear(year) ? 1 : 0)) return null;
  return `${year}-${twoDigits(month)}-${twoDigits(day)}`;
}

/** MMDD of a birth date given as a full date or as MMDD alone; null when impossible. */
function birthMonthDay(value: string, format: DateFormat): string | null {
  if (/^\d{4}$/.test(value)) return isValidMonthDay(value) ? value : null;
  const iso = parseDate(value, format);
  return iso ? iso.slice(5, 7) + iso.slice(8, 10) : null;
}

/**
 * Half-width katakana and their voiced pairs (ｶﾞ) as full-width character codes, read off NFKC
 * once: the same result as normalising each run of them, three times faster for the 100,000
 * names of an import. tests/cards/card-row.test.ts compares the two over every run of up to three.
 */
const HALF_KANA_FIRST = 0xff61;
const HALF_KANA_LAST = 0xff9f;
const VOICED_MARKS = [0xff9e, 0xff9f];
const FULL_KANA = new Map<number, number>();
for (let code = HALF_KANA_FIRST; code <= HALF_KANA_LAST; code += 1) {
  const char = String.fromCharCode(code);
  FULL_KANA.set(code, char.normalize('NFKC').charCodeAt(0));
  for (const mark of VOICED_MARKS) {
    const voiced = (char + String.fromCharCode(mark)).normalize('NFKC');
    if (voiced.length === 1) FULL_KANA.set(code * 0x10000 + mark, voiced.charCodeAt(0));
  }
}
const isHalfKana = (code: number) => code >= HALF_KANA_FIRST && code <= HALF_KANA_LAST;

/** Half-width katakana (ｼｹﾝ) to full-width; kanji such as 髙 and 﨑 are left exactly as they are. */
export function normaliseKana(value: string): string {
  let at = 0;
  while (at < value.length && !isHalfKana(value.charCodeAt(at))) at += 1;
  if (at === value.length) return value;
  const codes: number[] = [];
  for (at = 0; at < value.length; at += 1) {
    const code = value.charCodeAt(at);
    const voiced = isHalfKana(code) ? FULL_KANA.get(code * 0x10000 + value.charCodeAt(at + 1)) : undefined;
    if (voiced !== undefined) at += 1;
    codes.push(voiced ?? FULL_KANA.get(code) ?? code);
  }
  let folded = '';
  for (let from = 0; from < codes.length; from += 4096) folded += String.fromCharCode(...codes.slice(from, from + 4096));
  return folded;
}

function clean(value: string | undefined): string {
  if (value === undefined) return '';
  return (value.includes('\u3000') ? value.replace(/\u3000/g, ' ') : value).trim();
}

function problem(field: RowProblem['field'], key: string, params?: RowProblem['params']): { ok: false; problem: RowProblem } {
  return { ok: false, problem: { field, key, params } };
}

function optionalDate(raw: RawCardRow, field: 'noticeSentOn' | 'noticeValidUntil', format: DateFormat) {
  const value = toHalfWidth(clean(raw[field]));
  if (value === '') return { ok: true as const, value: null };
  const iso = parseDate(value, format);
  return iso ? { ok: true as const, value: iso } : problem(field, 'cards.row.badDate', { value });
}

/** A character that did not decode, in any field; else the first field that is too long. */
function textProblem(raw: RawCardRow): { ok: false; problem: RowProblem } | null {
  let tooLong: CardField | undefined;
  for (const field in raw) {
    const value = raw[field as CardField]!;
    if (value.includes('\uFFFD')) return problem('encoding', 'cards.row.encoding');
    if (tooLong === undefined && value.length > MAX_TEXT) tooLong = field as CardField;
  }
  return tooLong === undefined ? null : problem(tooLong, 'cards.row.tooLong');
}

function checkFields(raw: RawCardRow, keyOf: BirthKeyOf, format: DateFormat): { ok: true; row: CardRow } | { ok: false; problem: RowProblem } {
  const text = textProblem(raw);
  if (text) return text;
  const typedId = clean(raw.noticeId);
  if (!isNoticeId(typedId)) return problem('noticeId', 'cards.row.badNoticeId');
  const noticeId = noticeIdOf(typedId);
  const mmdd = birthMonthDay(toHalfWidth(clean(raw.birthDate)), format);
  // The birth date itself is never echoed back: not in messages, logs or audit detail.
  if (!mmdd) return problem('birthDate', 'cards.row.badBirthDate');
  const sent = optionalDate(raw, 'noticeSentOn', format);
  if (!sent.ok) return sent;
  const validUntil = optionalDate(raw, 'noticeValidUntil', format);
  if (!validUntil.ok) return validUntil;
  const cardNumber = toHalfWidth(clean(raw.cardNumber));
  return {
    ok: true,
    row: {
      noticeId,
      birthKey: keyOf(noticeId, mmdd),
      name: clean(raw.name),
      nameKana: normaliseKana(clean(raw.nameKana)),
      cardNumber: cardNumber === '' ? null : cardNumber,
      counterCode: toHalfWidth(clean(raw.counterCode)),
      storagePlace: toHalfWidth(clean(raw.storagePlace)),
      noticeSentOn: sent.value,
      noticeValidUntil: validUntil.value,
    },
  };
}

export function checkCardRow(raw: RawCardRow, keyOf: BirthKeyOf, format: DateFormat = 'YYYYMMDD'): CheckedRow {
  const result = checkFields(raw, keyOf, format);
  return result.ok ? result : { ...result, noticeId: toHalfWidth(clean(raw.noticeId)).slice(0, MAX_TEXT) };
}
