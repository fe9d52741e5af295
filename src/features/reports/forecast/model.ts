// The forecast's arithmetic (docs/decisions/0029), kept apart from the database so it is easy to
// test: expected arrivals are the mean of the last HISTORY_WEEKS complete weeks; each week's
// demand is the backlog carried into it plus its expected arrivals; what its free places cannot
// take is carried into the next week.

/** Complete weeks of card arrivals averaged for the expected arrivals of a future week. */
export const HISTORY_WEEKS = 8;
/** Weeks forecast, the current one (Monday to Sunday, Japan time) first. */
export const FORECAST_WEEKS = 8;

export interface ForecastInput {
  /** Cards that arrived in each of the last HISTORY_WEEKS complete weeks. */
  pastWeeks: number[];
  /** Cards that arrived so far in the current week (already in the backlog). */
  arrivedThisWeek: number;
  /** Cards waiting now: arrived, not booked, not handed over or returned. */
  backlog: number;
  /** Free places in each forecast week (the current week: from now on). */
  places: number[];
}

export interface ForecastWeek {
  expectedArrivals: number;
  carriedIn: number;
  /** carriedIn + expectedArrivals */
  demand: number;
  places: number;
  /** max(0, demand - places): cards still waiting when the week ends. */
  carriedOut: number;
  /** Demand exceeds places. */
  shortfall: boolean;
}

/** The mean of the past weeks, rounded to whole cards; 0 without history. */
export function expectedWeeklyArrivals(pastWeeks: number[]): number {
  if (pastWeeks.length === 0) return 0;
  return Math.round(pastWeeks.reduce((sum, count) => sum + count, 0) / pastWeeks.length);
}

export function forecastWeeks(input: ForecastInput): ForecastWeek[] {
  const weekly = expectedWeeklyArrivals(input.pastWeeks);
  let carried = input.backlog;
  return input.places.map((places, index) => {
    // The current week's arrivals so far are already counted in the backlog.
    const expectedArrivals = index === 0 ? Math.max(0, weekly - input.arrivedThisWeek) : weekly;
    const demand = carried + expectedArrivals;
    const week = { expectedArrivals, carriedIn: carried, demand, places, carriedOut: Math.max(0, demand - places), shortfall: demand > places };
    carried = week.carriedOut;
    return week;
  });
}

/** The inputs of several counters added up: the total row is forecast from these, not summed from their forecasts. */
export function addInputs(inputs: ForecastInput[]): ForecastInput {
  const sumAt = (lists: number[][], length: number) => Array.from({ length }, (_unused, index) => lists.reduce((sum, list) => sum + (list[index] ?? 0), 0));
  return {
    pastWeeks: sumAt(
      inputs.map((input) => input.pastWeeks),
      HISTORY_WEEKS,
    ),
    arrivedThisWeek: inputs.reduce((sum, input) => sum + input.arrivedThisWeek, 0),
    backlog: inputs.reduce((sum, input) => sum + input.backlog, 0),
    places: sumAt(
      inputs.map((input) => input.places),
      FORECAST_WEEKS,
    ),
  };
}
