// The forecast's arithmetic alone (src/features/reports/forecast/model.ts): no database.
import { describe, expect, it } from 'vitest';
import { addInputs, expectedWeeklyArrivals, FORECAST_WEEKS, forecastWeeks, HISTORY_WEEKS } from '../../src/features/reports/forecast/model.js';

const steady = (perWeek: number) => new Array<number>(HISTORY_WEEKS).fill(perWeek);
const weeks = (places: number) => new Array<number>(FORECAST_WEEKS).fill(places);

describe('forecast model', () => {
  it('When arrivals are steady and every week has more places than arrive, then no week is short and nothing is carried', () => {
    const result = forecastWeeks({ pastWeeks: steady(20), arrivedThisWeek: 0, backlog: 0, places: weeks(25) });
    expect(result).toHaveLength(FORECAST_WEEKS);
    expect(result.every((week) => !week.shortfall && week.carriedOut === 0 && week.demand === 20)).toBe(true);
  });

  it('When the backlog is larger than the first week can take, then the rest is carried and used up by later spare places', () => {
    const result = forecastWeeks({ pastWeeks: steady(10), arrivedThisWeek: 0, backlog: 30, places: weeks(25) });
    expect(result.slice(0, 3).map((week) => [week.demand, week.carriedOut, week.shortfall])).toEqual([
      [40, 15, true],
      [25, 0, false],
      [10, 0, false],
    ]);
  });

  it('When a week has no slots, then it is short by its whole demand and the next week starts with that backlog', () => {
    const places = weeks(30);
    places[2] = 0;
    const result = forecastWeeks({ pastWeeks: steady(20), arrivedThisWeek: 0, backlog: 0, places });
    expect(result[2]).toMatchObject({ carriedIn: 0, demand: 20, places: 0, carriedOut: 20, shortfall: true });
    expect(result[3]).toMatchObject({ carriedIn: 20, demand: 40, carriedOut: 10, shortfall: true });
    expect(result[4]).toMatchObject({ carriedIn: 10, demand: 30, carriedOut: 0, shortfall: false });
    expect(result.filter((week) => week.shortfall)).toHaveLength(2);
  });

  it('When there is no history, then expected arrivals are 0 and only the backlog makes demand', () => {
    expect(expectedWeeklyArrivals([])).toBe(0);
    expect(expectedWeeklyArrivals(steady(0))).toBe(0);
    const result = forecastWeeks({ pastWeeks: steady(0), arrivedThisWeek: 0, backlog: 5, places: weeks(0) });
    expect(result.map((week) => week.demand)).toEqual(weeks(5));
    expect(result.every((week) => week.shortfall && week.expectedArrivals === 0)).toBe(true);
  });

  it('When nothing is waiting and no slots are open, then no week is short (0 demand, 0 places)', () => {
    expect(forecastWeeks({ pastWeeks: steady(0), arrivedThisWeek: 0, backlog: 0, places: weeks(0) }).some((week) => week.shortfall)).toBe(false);
  });

  it('When cards already arrived this week, then the current week expects only the rest of the mean (never less than 0)', () => {
    const [thisWeek, nextWeek] = forecastWeeks({ pastWeeks: steady(10), arrivedThisWeek: 4, backlog: 4, places: weeks(100) });
    expect([thisWeek!.expectedArrivals, thisWeek!.demand, nextWeek!.expectedArrivals]).toEqual([6, 10, 10]);
    expect(forecastWeeks({ pastWeeks: steady(10), arrivedThisWeek: 15, backlog: 15, places: weeks(100) })[0]!.expectedArrivals).toBe(0);
  });

  it('When the mean is not whole, then it is rounded to whole cards', () => {
    expect(expectedWeeklyArrivals([1, 2, 0, 0, 0, 0, 0, 0])).toBe(0);
    expect(expectedWeeklyArrivals([4, 0, 0, 0, 0, 0, 0, 0])).toBe(1);
  });

  it('When counters are added up, then each week and figure is the sum (the total row is forecast from the sums)', () => {
    const a = { pastWeeks: steady(3), arrivedThisWeek: 1, backlog: 2, places: weeks(4) };
    const b = { pastWeeks: steady(5), arrivedThisWeek: 0, backlog: 7, places: weeks(1) };
    expect(addInputs([a, b])).toEqual({ pastWeeks: steady(8), arrivedThisWeek: 1, backlog: 9, places: weeks(5) });
  });
});
