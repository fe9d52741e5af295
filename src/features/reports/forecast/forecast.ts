// The forecast of each counter a user may see, the cards of no counter, and their total.
import type { Queryable } from '../../../db/client.js';
import { addDays } from '../../../lib/jst.js';
import { forecastInputs, weekStartOf } from './inputs.js';
import { addInputs, expectedWeeklyArrivals, FORECAST_WEEKS, forecastWeeks, type ForecastInput, type ForecastWeek } from './model.js';

export interface ForecastRow {
  /** null: the total row or the cards of no counter (see `kind`). */
  counterId: number | null;
  kind: 'counter' | 'unassigned' | 'total';
  /** The counter's name (kind 'counter'). */
  name: string;
  weeklyArrivals: number;
  backlog: number;
  weeks: ForecastWeek[];
  /** Index of the first week whose demand exceeds its places; null when none does. */
  firstShortfall: number | null;
}

export interface Forecast {
  /** The Monday of each forecast week, Japan time. */
  weekStarts: string[];
  rows: ForecastRow[];
}

const EMPTY: ForecastInput = { pastWeeks: [], arrivedThisWeek: 0, backlog: 0, places: new Array<number>(FORECAST_WEEKS).fill(0) };

function row(kind: ForecastRow['kind'], counterId: number | null, name: string, input: ForecastInput): ForecastRow {
  const weeks = forecastWeeks(input);
  const first = weeks.findIndex((week) => week.shortfall);
  return { counterId, kind, name, weeklyArrivals: expectedWeeklyArrivals(input.pastWeeks), backlog: input.backlog, weeks, firstShortfall: first < 0 ? null : first };
}

/**
 * The forecast at `now` for the counters in `counterIds` (null: every counter), in display order.
 * With `unassigned`, the cards of no counter get their own row when there are any (they are in
 * every user's scope); the total row adds up every row shown.
 */
export async function counterForecast(db: Queryable, now: Date, counterIds: number[] | null, options: { unassigned: boolean }): Promise<Forecast> {
  const counters = await db.query<{ id: number; name: string }>(
    `SELECT id, name FROM counters WHERE retired_at IS NULL AND ($1::int[] IS NULL OR id = ANY ($1::int[])) ORDER BY display_order, id`,
    [counterIds],
  );
  const inputs = await forecastInputs(
    db,
    now,
    counters.map((counter) => counter.id),
  );
  const shown = counters.map((counter) => row('counter', counter.id, counter.name, inputs.get(counter.id) ?? EMPTY));
  const unassigned = options.unassigned ? inputs.get(null) : undefined;
  if (unassigned) shown.push(row('unassigned', null, '', unassigned));
  const used = [...counters.map((counter) => inputs.get(counter.id) ?? EMPTY), ...(unassigned ? [unassigned] : [])];
  const monday = weekStartOf(now);
  return {
    weekStarts: Array.from({ length: FORECAST_WEEKS }, (_unused, index) => addDays(monday, 7 * index)),
    rows: [...shown, row('total', null, '', addInputs(used))],
  };
}
