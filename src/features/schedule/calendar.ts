// Pure evaluation of a counter's timetable for one JST calendar date: date overrides beat
// closures, closures beat national holidays, holidays beat rules (unless a rule opens on holidays).
import { addDays, dayOfWeek, type IsoDate } from '../../lib/jst.js';
import { nationalHoliday } from './holidays.js';

/** Hours of one opening period: [start, end) cut into slots, minus an optional break. */
export interface Period {
  label: string;
  startMinute: number;
  endMinute: number;
  breakStartMinute?: number | null;
  breakEndMinute?: number | null;
  slotMinutes: number;
  capacityPerSlot?: number | null;
  peoplePerWindow?: number | null;
  reservedCapacity: number;
}

export interface RuleInput extends Period {
  daysOfWeek: number[];
  validFrom: IsoDate;
  validTo?: IsoDate | null;
  openOnHolidays: boolean;
}

export type ClosureParams =
  | { kind: 'single_date'; date: IsoDate }
  | { kind: 'date_range'; from: IsoDate; to: IsoDate }
  | { kind: 'yearly_range'; from: string; to: string } // 'MM-DD', may wrap over New Year
  | { kind: 'nth_weekday'; nth: number; weekday: number; offsetDays?: number }; // nth -1 = last

export interface ClosureInput {
  label: string;
  params: ClosureParams;
}

export type OverrideInput = { [K in keyof Period]?: Period[K] | null } & {
  date: IsoDate;
  kind: 'open' | 'closed';
  label: string;
};

export interface CounterTimetable {
  counterId: number;
  windows: number;
  rules: RuleInput[];
  closures: ClosureInput[]; // the counter's own and the all-counter ones
  overrides: OverrideInput[];
}

export interface SlotPlan {
  startMinute: number;
  endMinute: number;
  capacity: number;
  reservedCapacity: number;
  label: string;
}

export type DayReason = 'override_open' | 'override_closed' | 'closure' | 'holiday' | 'rules' | 'no_rule';

export interface DayPlan {
  date: IsoDate;
  open: boolean;
  reason: DayReason;
  note: string; // closure label, holiday name or override label
  slots: SlotPlan[];
}

function monthDay(date: IsoDate): string {
  return date.slice(5);
}

function isNthWeekday(date: IsoDate, nth: number, weekday: number): boolean {
  if (dayOfWeek(date) !== weekday) return false;
  const day = Number(date.slice(8));
  if (nth > 0) return Math.ceil(day / 7) === nth;
  return addDays(date, 7).slice(0, 7) !== date.slice(0, 7); // the last such weekday of the month
}

export function closureApplies(params: ClosureParams, date: IsoDate): boolean {
  switch (params.kind) {
    case 'single_date':
      return date === params.date;
    case 'date_range':
      return date >= params.from && date <= params.to;
    case 'yearly_range': {
      const day = monthDay(date);
      return params.from <= params.to ? day >= params.from && day <= params.to : day >= params.from || day <= params.to;
    }
    case 'nth_weekday':
      // "the Sunday after the third Saturday": the day offsetDays earlier is the nth weekday.
      return isNthWeekday(addDays(date, -(params.offsetDays ?? 0)), params.nth, params.weekday);
  }
}

export function capacityOf(period: Pick<Period, 'capacityPerSlot' | 'peoplePerWindow'>, windows: number): number {
  return period.peoplePerWindow !== null && period.peoplePerWindow !== undefined ? period.peoplePerWindow * windows : (period.capacityPerSlot ?? 0);
}

export function slotsOfPeriod(period: Period, windows: number): SlotPlan[] {
  const capacity = capacityOf(period, windows);
  const reservedCapacity = Math.min(period.reservedCapacity, capacity);
  const slots: SlotPlan[] = [];
  const { breakStartMinute: breakStart, breakEndMinute: breakEnd } = period;
  let start = period.startMinute;
  while (start + period.slotMinutes <= period.endMinute) {
    const end = start + period.slotMinutes;
    if (breakStart != null && breakEnd != null && start < breakEnd && end > breakStart) {
      start = breakEnd; // slots restart when the break ends
      continue;
    }
    slots.push({ startMinute: start, endMinute: end, capacity, reservedCapacity, label: period.label });
    start = end;
  }
  return slots;
}

function ruleApplies(rule: RuleInput, date: IsoDate): boolean {
  return date >= rule.validFrom && (!rule.validTo || date <= rule.validTo) && rule.daysOfWeek.includes(dayOfWeek(date));
}

/** Slots sorted by start; when two periods give the same start, the first one wins. */
function merged(slots: SlotPlan[]): SlotPlan[] {
  const byStart = new Map<number, SlotPlan>();
  for (const slot of slots) if (!byStart.has(slot.startMinute)) byStart.set(slot.startMinute, slot);
  return [...byStart.values()].sort((a, b) => a.startMinute - b.startMinute);
}

export function planDay(timetable: CounterTimetable, date: IsoDate): DayPlan {
  const overrides = timetable.overrides.filter((override) => override.date === date);
  const closedOverride = overrides.find((override) => override.kind === 'closed');
  if (closedOverride) return { date, open: false, reason: 'override_closed', note: closedOverride.label, slots: [] };
  if (overrides.length > 0) {
    const slots = merged(overrides.flatMap((override) => slotsOfPeriod(override as Period, timetable.windows)));
    return { date, open: slots.length > 0, reason: 'override_open', note: overrides.map((override) => override.label).join('・'), slots };
  }
  const closure = timetable.closures.find((candidate) => closureApplies(candidate.params, date));
  if (closure) return { date, open: false, reason: 'closure', note: closure.label, slots: [] };
  const holiday = nationalHoliday(date);
  const rules = timetable.rules.filter((rule) => ruleApplies(rule, date) && (!holiday || rule.openOnHolidays));
  const slots = merged(rules.flatMap((rule) => slotsOfPeriod(rule, timetable.windows)));
  if (slots.length > 0) return { date, open: true, reason: 'rules', note: holiday ?? rules.map((rule) => rule.label).join('・'), slots };
  if (holiday) return { date, open: false, reason: 'holiday', note: holiday, slots: [] };
  return { date, open: false, reason: 'no_rule', note: '', slots: [] };
}

export function planRange(timetable: CounterTimetable, from: IsoDate, to: IsoDate): DayPlan[] {
  const days: DayPlan[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) days.push(planDay(timetable, date));
  return days;
}

export interface PlanTotals {
  openDays: number;
  slots: number;
  capacity: number;
  webCapacity: number;
}

export function totalsOf(days: DayPlan[]): PlanTotals {
  const totals = { openDays: 0, slots: 0, capacity: 0, webCapacity: 0 };
  for (const day of days) {
    if (!day.open) continue;
    totals.openDays += 1;
    totals.slots += day.slots.length;
    for (const slot of day.slots) {
      totals.capacity += slot.capacity;
      totals.webCapacity += slot.capacity - slot.reservedCapacity;
    }
  }
  return totals;
}

/** 'YYYY-MM' -> first and last date. */
export function monthRange(month: string): { from: IsoDate; to: IsoDate } {
  const from = `${month}-01`;
  const [year, monthNumber] = month.split('-').map(Number);
  const next = monthNumber === 12 ? `${year + 1}-01-01` : `${year}-${String(monthNumber + 1).padStart(2, '0')}-01`;
  return { from, to: addDays(next, -1) };
}
