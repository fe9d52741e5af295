// A counter's days as its timetable decides them: whether it is open (開庁日, for deadlines
// counted in opening days) and the label of each period (e.g. 1F, 夜間窓口) citizens see.
import type { IsoDate } from '../../lib/jst.js';
import { planDay, type CounterTimetable, type DayPlan } from './calendar.js';

export type OpeningDays = (date: IsoDate) => boolean;

export interface CounterDays {
  isOpeningDay: OpeningDays;
  /** The label of the period a slot starting at `startMinute` on `date` belongs to ('' if none). */
  labelOf(date: IsoDate, startMinute: number): string;
}

/** Whether the timetable can open on any day at all (a counter whose slots staff make by hand cannot). */
const canOpen = (timetable: CounterTimetable) => timetable.rules.length > 0 || timetable.overrides.some((override) => override.kind === 'open');

export function daysOf(timetable: CounterTimetable | undefined): CounterDays {
  // With no timetable that opens, every day counts (a deadline in calendar days), answered at
  // once instead of after looking a year back for an opening day.
  if (timetable && !canOpen(timetable)) timetable = undefined;
  const plans = new Map<IsoDate, DayPlan | null>();
  const plan = (date: IsoDate) => {
    if (!plans.has(date)) plans.set(date, timetable ? planDay(timetable, date) : null);
    return plans.get(date)!;
  };
  return {
    isOpeningDay: (date) => plan(date)?.open ?? true,
    labelOf: (date, startMinute) => plan(date)?.slots.find((slot) => slot.startMinute === startMinute)?.label ?? '',
  };
}
