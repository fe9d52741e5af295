// The forecast's inputs, read with three set-based queries (one per figure, grouped by counter
// and week). Weeks run Monday to Sunday in Japan time: a week's index is counted from an instant
// (a Monday 0:00 JST) in whole 7-day steps, so the server's TZ plays no part.
import type { Queryable } from '../../../db/client.js';
import { addDays, dayOfWeek, jstInstant, todayInJapan, type IsoDate } from '../../../lib/jst.js';
import { FORECAST_WEEKS, HISTORY_WEEKS, type ForecastInput } from './model.js';

/** The Monday (Japan time) of the week `now` falls in. */
export function weekStartOf(now: Date): IsoDate {
  const today = todayInJapan(now);
  return addDays(today, -((dayOfWeek(today) + 6) % 7));
}

/** Counter ids whose figures are read; null: every counter. Cards of no counter (key null) are always read. */
type CounterFilter = number[] | null;

const WEEK_INDEX = (column: string) => `floor(extract(epoch FROM (${column} - $1::timestamptz)) / 604800)::int`;

// Cards registered (by a J-LIS import, or by hand for a card missing from the file), by the week of their registration.
const ARRIVALS = `
  SELECT h.counter_id, ${WEEK_INDEX('h.created_at')} AS week, count(*)::int AS cards
    FROM card_holders h
   WHERE h.created_at >= $1::timestamptz AND h.created_at < $2::timestamptz
     AND (h.counter_id IS NULL OR $3::int[] IS NULL OR h.counter_id = ANY ($3::int[]))
   GROUP BY 1, 2`;

// Cards waiting for a booking: not handed over, returned, held or cancelled, and with no open booking.
const BACKLOG = `
  SELECT h.counter_id, count(*)::int AS cards
    FROM card_holders h
   WHERE h.status IN ('data_received', 'card_arrived', 'notice_sent')
     AND (h.counter_id IS NULL OR $1::int[] IS NULL OR h.counter_id = ANY ($1::int[]))
     AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.card_holder_id = h.id AND b.status IN ('active', 'checked_in'))
   GROUP BY 1`;

// Places still free in slots from now on: capacity minus people booked or holding (the places held
// back for phone and counter bookings are free places too: staff book cards into them).
const PLACES = `
  SELECT s.counter_id, ${WEEK_INDEX('s.starts_at')} AS week, sum(greatest(s.capacity - s.booked, 0))::int AS places
    FROM slots s
   WHERE s.starts_at >= $2::timestamptz AND s.starts_at < $3::timestamptz
     AND ($4::int[] IS NULL OR s.counter_id = ANY ($4::int[]))
   GROUP BY 1, 2`;

/** The forecast inputs of each counter in the filter (key: counter id, null for cards of no counter). */
export async function forecastInputs(db: Queryable, now: Date, counterIds: CounterFilter): Promise<Map<number | null, ForecastInput>> {
  const monday = weekStartOf(now);
  const historyStart = jstInstant(addDays(monday, -7 * HISTORY_WEEKS));
  const thisWeek = jstInstant(monday);
  const end = jstInstant(addDays(monday, 7 * FORECAST_WEEKS));
  const [arrivals, backlog, places] = await Promise.all([
    db.query<{ counter_id: number | null; week: number; cards: number }>(ARRIVALS, [historyStart, now, counterIds]),
    db.query<{ counter_id: number | null; cards: number }>(BACKLOG, [counterIds]),
    db.query<{ counter_id: number; week: number; places: number }>(PLACES, [thisWeek, now, end, counterIds]),
  ]);
  const inputs = new Map<number | null, ForecastInput>();
  const of = (counterId: number | null) => {
    let input = inputs.get(counterId);
    if (!input) {
      input = { pastWeeks: new Array<number>(HISTORY_WEEKS).fill(0), arrivedThisWeek: 0, backlog: 0, places: new Array<number>(FORECAST_WEEKS).fill(0) };
      inputs.set(counterId, input);
    }
    return input;
  };
  for (const row of arrivals) {
    if (row.week < HISTORY_WEEKS) of(row.counter_id).pastWeeks[row.week] = row.cards;
    else of(row.counter_id).arrivedThisWeek += row.cards;
  }
  for (const row of backlog) of(row.counter_id).backlog = row.cards;
  for (const row of places) of(row.counter_id).places[row.week] = row.places;
  return inputs;
}
