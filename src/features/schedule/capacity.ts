// What the slots and rules add up to: the month view per counter and the staffing report.
import type { DbTx } from '../../db/client.js';
import { dateColumn, isoDateOfColumn, type IsoDate } from '../../lib/jst.js';
import { monthRange, planRange, totalsOf, type DayPlan } from './calendar.js';
import { findCounter } from './counters.js';
import { loadTimetables } from './slot-generation.js';

export interface CapacityDay {
  date: IsoDate;
  open: boolean;
  /** open, closed, or planned: the rules open the day but its slots are not generated yet (beyond the horizon). */
  state: 'open' | 'closed' | 'planned';
  note: string;
  slots: number;
  capacity: number;
  reserved: number;
  booked: number;
  free: number;
}

interface SlotSums {
  date: Date;
  slots: number;
  capacity: number;
  reserved: number;
  booked: number;
}

/** Each day of a month at one counter, from the materialised slots (what citizens can book). */
export async function monthCapacity(db: DbTx, counterId: number, month: string) {
  const counter = await findCounter(db, counterId);
  const { from, to } = monthRange(month);
  const sums = await db.$queryRaw<SlotSums[]>`
      SELECT date, count(*)::int AS slots, sum(capacity)::int AS capacity, sum(reserved_capacity)::int AS reserved, sum(booked)::int AS booked
        FROM slots WHERE counter_id = ${counterId} AND date BETWEEN ${dateColumn(from)}::date AND ${dateColumn(to)}::date AND capacity > 0
       GROUP BY date`;
  const [timetable] = await loadTimetables(db, [counterId]);
  const byDate = new Map(sums.map((row) => [isoDateOfColumn(row.date), row]));
  const days: CapacityDay[] = planRange(timetable, from, to).map((plan: DayPlan) => {
    const row = byDate.get(plan.date);
    const capacity = row?.capacity ?? 0;
    const booked = row?.booked ?? 0;
    const open = (row?.slots ?? 0) > 0;
    return {
      date: plan.date,
      open,
      state: open ? 'open' : plan.open ? 'planned' : 'closed',
      note: plan.note,
      slots: row?.slots ?? 0,
      capacity,
      reserved: row?.reserved ?? 0,
      booked,
      free: capacity - booked,
    };
  });
  const totals = days.reduce(
    (sum, day) => ({
      openDays: sum.openDays + (day.open ? 1 : 0),
      slots: sum.slots + day.slots,
      capacity: sum.capacity + day.capacity,
      booked: sum.booked + day.booked,
      free: sum.free + day.free,
    }),
    { openDays: 0, slots: 0, capacity: 0, booked: 0, free: 0 },
  );
  return { counter, month, days, totals };
}

export interface ReportRow {
  counterCode: string;
  counterName: string;
  month: string;
  openDays: number;
  slots: number;
  capacity: number;
  webCapacity: number;
}

export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [year, month] = from.split('-').map(Number);
  for (let guard = 0; guard < 120; guard += 1) {
    const current = `${year}-${String(month).padStart(2, '0')}`;
    if (current > to) break;
    months.push(current);
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
  return months;
}

/**
 * Per counter and month: open days and total capacity as the rules give them (so months beyond
 * the booking horizon can be planned too).
 */
export async function capacityReport(db: DbTx, fromMonth: string, toMonth: string): Promise<ReportRow[]> {
  const counters = await db.counter.findMany({ where: { retiredAt: null }, orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }] });
  const timetables = new Map(
    (
      await loadTimetables(
        db,
        counters.map((counter) => counter.id),
      )
    ).map((timetable) => [timetable.counterId, timetable]),
  );
  return counters.flatMap((counter) =>
    monthsBetween(fromMonth, toMonth).map((month) => {
      const { from, to } = monthRange(month);
      const totals = totalsOf(planRange(timetables.get(counter.id)!, from, to));
      return { counterCode: counter.code, counterName: counter.name, month, ...totals };
    }),
  );
}

export async function openConflicts(db: DbTx) {
  return db.slotConflict.findMany({ where: { resolvedAt: null }, include: { counter: true, slot: true }, orderBy: [{ startsAt: 'asc' }] });
}
