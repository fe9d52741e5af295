// Japan time helpers. Japan has no daylight saving time, so JST is always UTC+9, and every
// calculation here is independent of the server's TZ.
import { now as clockNow } from './clock.js';

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** A calendar date in Japan, as 'YYYY-MM-DD'. */
export type IsoDate = string;

export function jstDateOf(instant: Date): IsoDate {
  return new Date(instant.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

export function todayInJapan(now = clockNow()): IsoDate {
  return jstDateOf(now);
}

/** The instant at which `minutes` past midnight JST falls on `date`. */
export function jstInstant(date: IsoDate, minutes = 0): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - JST_OFFSET_MS + minutes * 60_000);
}

/** Minutes after midnight JST of an instant. */
export function jstMinutesOf(instant: Date): number {
  const shifted = new Date(instant.getTime() + JST_OFFSET_MS);
  return shifted.getUTCHours() * 60 + shifted.getUTCMinutes();
}

/** Prisma maps @db.Date columns to a Date at UTC midnight. */
export function dateColumn(date: IsoDate): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function isoDateOfColumn(value: Date): IsoDate {
  return value.toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The month 'YYYY-MM' that is `delta` months after `month` (before, when negative). */
export function shiftMonth(month: string, delta: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** 0 = Sunday ... 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export function formatMinutes(minutes: number): string {
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];

/** e.g. 2026年12月1日(火) */
export function formatDateJa(date: IsoDate): string {
  const [year, month, day] = date.split('-').map(Number);
  return `${year}年${month}月${day}日(${WEEKDAYS_JA[dayOfWeek(date)]})`;
}

/** e.g. 2026年12月4日(金) 17:00, a moment shown to citizens (a deadline, an opening time). */
export function formatMomentJa(instant: Date): string {
  return `${formatDateJa(jstDateOf(instant))} ${formatMinutes(jstMinutesOf(instant))}`;
}

/** e.g. 2026-11-21 09:05 (Japan time), for lists and logs shown to staff. */
export function formatJstDateTime(instant: Date): string {
  return `${jstDateOf(instant)} ${formatMinutes(jstMinutesOf(instant)).padStart(5, '0')}`;
}

/** Minutes after midnight as 'HH:MM' (09:30): a time input's value, the schedule file's times. */
export function timeText(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '';
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** How dates and times read in one language, always in Japan time (citizen pages, mails, calendar files). */
export interface DateFormats {
  /** 2026年12月4日(金) / Fri, December 4, 2026 */
  date(date: IsoDate): string;
  /** a date with its time: a deadline, an opening time */
  moment(instant: Date): string;
  /** 9:00〜9:15 / 9:00–9:15 */
  timeRange(from: Date, to: Date): string;
  /** a booked time: its date and its range */
  slot(from: Date, to: Date): string;
  /** the short weekday names, Sunday first */
  weekdays: readonly string[];
}

function formats(date: (day: IsoDate) => string, rangeMark: string, weekdays: readonly string[]): DateFormats {
  const timeRange = (from: Date, to: Date) => `${formatMinutes(jstMinutesOf(from))}${rangeMark}${formatMinutes(jstMinutesOf(to))}`;
  return {
    date,
    moment: (instant) => `${date(jstDateOf(instant))} ${formatMinutes(jstMinutesOf(instant))}`,
    timeRange,
    slot: (from, to) => `${date(jstDateOf(from))} ${timeRange(from, to)}`,
    weekdays,
  };
}

const japaneseFormats = formats(formatDateJa, '〜', WEEKDAYS_JA);
const formatsByTag = new Map<string, DateFormats>([['ja', japaneseFormats]]);

/** The formats of a language tag (a page's lang attribute); made once per language. */
export function dateFormats(tag: string): DateFormats {
  let found = formatsByTag.get(tag);
  if (!found) {
    // A calendar date is a UTC midnight formatted in UTC: the same day whatever the server's TZ.
    const long = new Intl.DateTimeFormat(tag, { timeZone: 'UTC', weekday: 'short', year: 'numeric', month: 'long', day: 'numeric' });
    const weekday = new Intl.DateTimeFormat(tag, { timeZone: 'UTC', weekday: 'short' });
    const date = (day: IsoDate) => long.format(new Date(`${day}T00:00:00Z`));
    // 2026-11-29 was a Sunday.
    const weekdays = Array.from({ length: 7 }, (_, i) => weekday.format(new Date(Date.UTC(2026, 10, 29 + i))));
    found = formats(date, '–', weekdays);
    formatsByTag.set(tag, found);
  }
  return found;
}
