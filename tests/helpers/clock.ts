// Pins the app's clock (src/lib/clock.ts) for a test file, so what it sees does not depend on
// the day the suite runs (each test file runs in its own process). Returns the pinned instant and its date in Japan.
import { setClock } from '../../src/lib/clock.js';
import { jstDateOf, type IsoDate } from '../../src/lib/jst.js';

export function pinClock(at: string): { now: Date; today: IsoDate } {
  const now = new Date(at);
  if (Number.isNaN(now.getTime())) throw new TypeError(`not an instant: ${at}`);
  setClock(now);
  return { now, today: jstDateOf(now) };
}

/** A plain working Wednesday, 10:00 in Japan: no holiday or closure within the following weeks. */
export const WORKING_WEDNESDAY = '2027-01-13T10:00:00+09:00';
