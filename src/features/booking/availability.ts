// What a citizen sees before booking: counters, a month calendar, a day's times. Places left
// for the web are capacity minus the reserved places minus those booked or held.
import type { Db, DbTx, Reader } from '../../db/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { addDays, dateColumn, dayOfWeek, isoDateOfColumn, jstDateOf, jstMinutesOf, shiftMonth, todayInJapan, type IsoDate } from '../../lib/jst.js';
import type { OpeningDays } from '../schedule/opening-days.js';
import { counterRules, counterRulesColumns, procedureRulesAt, rulesOfProcedureRow } from './counter-rules.js';
import { offeredProceduresJson, PICKUP } from '../schedule/procedures.js';
import type { BookingPolicyRules } from '../schedule/policy.js';
import { webPlacesLeft, webPlacesLeftSql } from '../../domain/booking-rules.js';
import { runsOfDay, type TimedSlot } from './runs.js';
import { bookingDeadline, bookingOpensAt, bookingWindowProblem } from './window.js';

/** upcoming: the counter is open that day but booking has not opened yet (opensAt says when). */
export type DayState = 'free' | 'few' | 'full' | 'closed' | 'outside' | 'upcoming';

export interface CalendarDay {
  date: IsoDate;
  day: number;
  weekday: number;
  state: DayState;
  remaining: number;
  opensAt?: Date;
}

export interface MonthCalendar {
  month: string; // YYYY-MM
  weeks: (CalendarDay | null)[][];
  previous: string | null;
  next: string | null;
}

/** The counters citizens may book at (those offering `procedure` when given). */
export async function listCounters(db: Db | DbTx, procedure?: string) {
  return db.counter.findMany({
    where: { retiredAt: null, ...(procedure && { procedures: { some: { procedureCode: procedure } } }) },
    orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }],
  });
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

/**
 * The web places left for a procedure of `minutes` starting at each of a day's slots (in start
 * order): the fewest left in the slots of its run, 0 where the run cannot be formed (runs.ts).
 */
export function placesLeftForRuns<T extends TimedSlot & { remaining: number }>(slots: T[], minutes: number): T[] {
  const runs = runsOfDay(slots, minutes);
  return slots.map((slot, index) => ({ ...slot, remaining: Math.min(...(runs[index] ?? [{ remaining: 0 }]).map((each) => each.remaining)) }));
}

/** "Few left" is at most a fifth of the day's web places (at least one place). */
function dayState(bookable: (SlotRow & { remaining: number })[], anySlots: boolean): { state: DayState; remaining: number } {
  if (!anySlots) return { state: 'closed', remaining: 0 };
  if (bookable.length === 0) return { state: 'outside', remaining: 0 };
  const remaining = bookable.reduce((sum, slot) => sum + slot.remaining, 0);
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

/** A day open at the counter but beyond the booking window says when booking opens. */
function upcoming(date: IsoDate, policy: BookingPolicyRules, isOpeningDay: OpeningDays, now: Date) {
  if (date <= addDays(todayInJapan(now), policy.opensDaysAhead) || !isOpeningDay(date)) return null;
  return { state: 'upcoming' as const, remaining: 0, opensAt: bookingOpensAt(date, policy) };
}

/** The month as a citizen booking `procedure` sees it (the counter's window, or the procedure's own). */
export async function monthCalendar(reader: Reader, counterId: number, month: string, procedure: string = PICKUP, now = clockNow()): Promise<MonthCalendar> {
  const offered = await procedureRulesAt(reader, counterId, procedure);
  const { policy, isOpeningDay } = offered ?? (await counterRules(reader, counterId));
  const { first, last } = monthBounds(month);
  const slots = await reader.db.slot.findMany({ where: { counterId, date: { gte: dateColumn(first), lte: dateColumn(last) } }, orderBy: { startsAt: 'asc' } });
  const byDate = new Map<IsoDate, SlotRow[]>();
  for (const slot of slots) byDate.set(isoDateOfColumn(slot.date), [...(byDate.get(isoDateOfColumn(slot.date)) ?? []), slot]);
  const weeks: (CalendarDay | null)[][] = [];
  let week: (CalendarDay | null)[] = Array.from({ length: dayOfWeek(first) }, () => null);
  for (let date = first; date <= last; date = addDays(date, 1)) {
    const daySlots = placesLeftForRuns(
      (byDate.get(date) ?? []).map((slot) => ({ ...slot, remaining: webPlacesLeft(slot) })),
      offered?.procedure.minutes ?? 0,
    );
    const bookable = daySlots.filter((slot) => bookingWindowProblem(slot.startsAt, policy, now, isOpeningDay) === null);
    const state = date < todayInJapan(now) ? { state: 'outside' as const, remaining: 0 } : (upcoming(date, policy, isOpeningDay, now) ?? dayState(bookable, daySlots.length > 0));
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
  /** The opening period's label (e.g. 1F, 夜間窓口), shown with the time; '' when none. */
  label?: string;
}

export async function dayTimes(reader: Reader, counterId: number, date: IsoDate, now = clockNow()): Promise<TimeChoice[]> {
  const { policy, isOpeningDay } = await counterRules(reader, counterId);
  const slots = await reader.db.slot.findMany({ where: { counterId, date: dateColumn(date) }, orderBy: { startsAt: 'asc' } });
  return slots.map((slot) => {
    const remaining = webPlacesLeft(slot);
    return {
      id: slot.id,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      remaining,
      bookable: remaining > 0 && bookingWindowProblem(slot.startsAt, policy, now, isOpeningDay) === null,
    };
  });
}

interface DayPageRow {
  counter_id: number | null;
  counter_name: string;
  policies: string;
  timetable: string;
  slots: string;
  expired: boolean;
  procedures: string;
}

const DAY_PAGE = `
   SELECT c.id AS counter_id, c.name AS counter_name,
          ${counterRulesColumns('c.id')},
          (SELECT coalesce(json_agg(json_build_object('id', s.id, 'startsAt', s.starts_at, 'endsAt', s.ends_at,
             'remaining', ${webPlacesLeftSql('s')}) ORDER BY s.starts_at), '[]')::text
           FROM slots s WHERE s.counter_id = c.id AND s.date = $2::date) AS slots,
          EXISTS (SELECT 1 FROM slot_holds WHERE expires_at <= $3::timestamptz) AS expired,
          ${offeredProceduresJson('ARRAY[$4::text]', 'c.id')} AS procedures
   FROM counters c WHERE c.id = $1::int AND c.retired_at IS NULL`;

/**
 * A day's times at an open counter for the citizen's day page, in one statement (counter,
 * policy rows, timetable, slots, the procedure's own window). Null when the counter does not
 * exist, is retired or does not offer the procedure.
 */
export interface DayPage {
  counter: { id: number; name: string };
  times: TimeChoice[];
  /** The last moment to book this day on the web. */
  deadline: Date;
  /** Where the same day is allowed, each time closes this many minutes before it instead (else null). */
  minutesBefore: number | null;
  /** When booking for this day opens, if it has not yet. */
  opensAt: Date | null;
  /** Some hold somewhere has run out: give the places back (releaseExpiredHolds) and read again. */
  expiredHolds: boolean;
}

export async function dayPage(reader: Reader, counterId: number, date: IsoDate, procedure: string = PICKUP, now = clockNow()): Promise<DayPage | null> {
  const [row] = await reader.query<DayPageRow>(DAY_PAGE, [counterId, date, now, procedure]);
  const days = row && rulesOfProcedureRow(row, counterId, procedure);
  if (!days) return null;
  const { policy } = days;
  const slots = (JSON.parse(row.slots) as { id: number; startsAt: string; endsAt: string; remaining: number }[]).map((slot) => ({
    ...slot,
    startsAt: new Date(slot.startsAt),
    endsAt: new Date(slot.endsAt),
  }));
  const times = placesLeftForRuns(slots, days.procedure.minutes).map((slot) => {
    const bookable = slot.remaining > 0 && bookingWindowProblem(slot.startsAt, policy, now, days.isOpeningDay) === null;
    return { ...slot, bookable, label: days.labelOf(date, jstMinutesOf(slot.startsAt)) };
  });
  const opensAt = date > addDays(todayInJapan(now), policy.opensDaysAhead) ? bookingOpensAt(date, policy) : null;
  return {
    counter: { id: counterId, name: row.counter_name },
    times,
    deadline: bookingDeadline(date, policy, days.isOpeningDay),
    minutesBefore: policy.sameDayAllowed ? policy.sameDayUntilMinutes : null,
    opensAt,
    expiredHolds: row.expired,
  };
}
