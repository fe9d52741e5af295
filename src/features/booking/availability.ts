// What a citizen sees before booking: counters, a month calendar, a day's times. Places left
// for the web are capacity minus the reserved places minus those booked or held.
import type { Db, DbTx } from '../../db/client.js';
import { addDays, dateColumn, dayOfWeek, isoDateOfColumn, jstDateOf, todayInJapan, type IsoDate } from '../../lib/jst.js';
import { effectivePolicy } from '../schedule/policy.js';
import { bookingWindowProblem } from './window.js';

export type DayState = 'free' | 'few' | 'full' | 'closed' | 'outside';

export interface CalendarDay {
  date: IsoDate;
  day: number;
  weekday: number;
  state: DayState;
  remaining: number;
}

export interface MonthCalendar {
  month: string; // YYYY-MM
  weeks: (CalendarDay | null)[][];
  previous: string | null;
  next: string | null;
}

export async function listCounters(db: Db | DbTx) {
  return db.counter.findMany({ where: { retiredAt: null }, orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }] });
}

interface SlotRow {
  id: number;
  date: Date;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  reservedCapacity: number;
  booked: number;
}

const webRemaining = (slot: SlotRow) => Math.max(0, slot.capacity - slot.reservedCapacity - slot.booked);

/** "Few left" is at most a fifth of the day's web places (at least one place). */
function dayState(bookable: SlotRow[], anySlots: boolean): { state: DayState; remaining: number } {
  if (!anySlots) return { state: 'closed', remaining: 0 };
  if (bookable.length === 0) return { state: 'outside', remaining: 0 };
  const remaining = bookable.reduce((sum, slot) => sum + webRemaining(slot), 0);
  const webCapacity = bookable.reduce((sum, slot) => sum + Math.max(0, slot.capacity - slot.reservedCapacity), 0);
  if (remaining === 0) return { state: 'full', remaining };
  return { state: remaining <= Math.max(1, Math.floor(webCapacity / 5)) ? 'few' : 'free', remaining };
}

function monthBounds(month: string): { first: IsoDate; last: IsoDate } {
  const first = `${month}-01`;
  const [year, mon] = month.split('-').map(Number);
  const nextFirst = mon === 12 ? `${year + 1}-01-01` : `${year}-${String(mon + 1).padStart(2, '0')}-01`;
  return { first, last: addDays(nextFirst, -1) };
}

function shiftMonth(month: string, delta: number): string {
  const [year, mon] = month.split('-').map(Number);
  const index = year * 12 + (mon - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export async function monthCalendar(db: Db | DbTx, counterId: number, month: string, now = new Date()): Promise<MonthCalendar> {
  const policy = await effectivePolicy(db, counterId);
  const { first, last } = monthBounds(month);
  const slots = await db.slot.findMany({ where: { counterId, date: { gte: dateColumn(first), lte: dateColumn(last) } }, orderBy: { startsAt: 'asc' } });
  const byDate = new Map<IsoDate, SlotRow[]>();
  for (const slot of slots) byDate.set(isoDateOfColumn(slot.date), [...(byDate.get(isoDateOfColumn(slot.date)) ?? []), slot]);
  const weeks: (CalendarDay | null)[][] = [];
  let week: (CalendarDay | null)[] = Array.from({ length: dayOfWeek(first) }, () => null);
  for (let date = first; date <= last; date = addDays(date, 1)) {
    const daySlots = byDate.get(date) ?? [];
    const bookable = daySlots.filter((slot) => bookingWindowProblem(slot.startsAt, policy, now) === null);
    const state = date < todayInJapan(now) ? { state: 'outside' as const, remaining: 0 } : dayState(bookable, daySlots.length > 0);
    week.push({ date, day: Number(date.slice(8)), weekday: dayOfWeek(date), ...state });
    if (week.length === 7) {
      weeks.push(week);
      week = [];
    }
  }
  if (week.length > 0) weeks.push([...week, ...Array.from({ length: 7 - week.length }, () => null)]);
  const thisMonth = jstDateOf(now).slice(0, 7);
  const lastOpenMonth = addDays(jstDateOf(now), policy.opensDaysAhead).slice(0, 7);
  return {
    month,
    weeks,
    previous: month > thisMonth ? shiftMonth(month, -1) : null,
    next: month < lastOpenMonth ? shiftMonth(month, 1) : null,
  };
}

export interface TimeChoice {
  id: number;
  startsAt: Date;
  endsAt: Date;
  remaining: number;
  bookable: boolean;
}

export async function dayTimes(db: Db | DbTx, counterId: number, date: IsoDate, now = new Date()): Promise<TimeChoice[]> {
  const policy = await effectivePolicy(db, counterId);
  const slots = await db.slot.findMany({ where: { counterId, date: dateColumn(date) }, orderBy: { startsAt: 'asc' } });
  return slots.map((slot) => {
    const remaining = webRemaining(slot);
    return { id: slot.id, startsAt: slot.startsAt, endsAt: slot.endsAt, remaining, bookable: remaining > 0 && bookingWindowProblem(slot.startsAt, policy, now) === null };
  });
}
