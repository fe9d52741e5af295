// Stored rows -> the string values the forms show (the forms post strings back).
import type { OpeningRule } from '../../generated/prisma/client.js';
import { dayOfWeek, formatDateJa, isoDateOfColumn, jstDateOf, jstMinutesOf, timeText, type IsoDate } from '../../lib/jst.js';
import { totalsOf } from './calendar.js';

export function blankRuleValues(today: IsoDate): Record<string, unknown> {
  return {
    label: '',
    days: ['1', '2', '3', '4', '5'],
    start: '09:00',
    end: '17:00',
    breakStart: '',
    breakEnd: '',
    slotMinutes: '30',
    capacityMode: 'slot',
    capacityPerSlot: '',
    peoplePerWindow: '',
    reservedCapacity: '0',
    validFrom: today,
    validTo: '',
  };
}

export function ruleValues(rule: OpeningRule): Record<string, unknown> {
  return {
    label: rule.label,
    days: rule.daysOfWeek.map(String),
    start: timeText(rule.startMinute),
    end: timeText(rule.endMinute),
    breakStart: timeText(rule.breakStartMinute),
    breakEnd: timeText(rule.breakEndMinute),
    slotMinutes: String(rule.slotMinutes),
    capacityMode: rule.peoplePerWindow === null ? 'slot' : 'window',
    capacityPerSlot: rule.peoplePerWindow === null ? String(rule.capacityPerSlot) : '',
    peoplePerWindow: rule.peoplePerWindow === null ? '' : String(rule.peoplePerWindow),
    reservedCapacity: String(rule.reservedCapacity),
    validFrom: isoDateOfColumn(rule.validFrom),
    validTo: rule.validTo ? isoDateOfColumn(rule.validTo) : '',
    openOnHolidays: rule.openOnHolidays ? 'on' : '',
  };
}

/** The days of week as the form lists them, Monday first (as Japanese calendars at counters do). */
export const WEEKDAY_ORDER = [1, 2, 3, 4, 5, 6, 0];

const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];

/** Formatting helpers the schedule views share (passed to every view as `fmt`). */
export const scheduleFormat = {
  time: timeText,
  date: formatDateJa,
  isoDate: isoDateOfColumn,
  dayOfWeek,
  weekday: (day: number) => WEEKDAYS_JA[day],
  days: (days: number[]) =>
    WEEKDAY_ORDER.filter((day) => days.includes(day))
      .map((day) => WEEKDAYS_JA[day])
      .join('・'),
  month: (month: string) => `${Number(month.slice(0, 4))}年${Number(month.slice(5, 7))}月`,
  totals: totalsOf,
  minutesOf: jstMinutesOf,
  jstDate: jstDateOf,
};
