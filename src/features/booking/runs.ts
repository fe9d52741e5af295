// How long a procedure takes: a booking of a procedure longer than its slot takes a place in
// each of the following slots it covers too, its run (docs/decisions/0016). The run starts in
// the booked slot and goes on through the next slots of the same counter and day, each
// starting where the previous ends, until it covers the procedure's minutes; a gap (a lunch
// break, the day's end) before that means the procedure cannot start there.
import type { Queryable } from '../../db/client.js';
import { jstDateOf } from '../../lib/jst.js';
import type { OfferedProcedure } from '../schedule/procedures.js';
import { BookingError } from './errors.js';
import type { Run } from './places.js';

export interface TimedSlot {
  id: number;
  startsAt: Date;
  endsAt: Date;
}

/** When a booking ends: the end of the last slot of its run (SQL on bookings or holds `row` and the first slot `slot`). */
export const runEndSql = (row: string, slot: string) => `greatest(${slot}.ends_at, (SELECT max(r.ends_at) FROM slots r WHERE r.id = ANY(${row}.also_slot_ids)))`;

/**
 * The slot ids of the run of `minutes` starting at `start`, from the slots after it (in start
 * order); null when it cannot be formed.
 */
export function runFrom(start: TimedSlot, later: TimedSlot[], minutes: number): number[] | null {
  const until = start.startsAt.getTime() + minutes * 60_000;
  const run = [start];
  for (const slot of later) {
    const end = run[run.length - 1].endsAt.getTime();
    if (end >= until || slot.startsAt.getTime() > end) break;
    if (slot.startsAt.getTime() === end) run.push(slot);
  }
  return run[run.length - 1].endsAt.getTime() >= until ? run.map((slot) => slot.id) : null;
}

/** For each of a day's slots (in start order), the slots of the run of `minutes` starting there, or null where none can be formed. */
export function runsOfDay<T extends TimedSlot>(slots: T[], minutes: number): (T[] | null)[] {
  const byId = new Map(slots.map((slot) => [slot.id, slot]));
  return slots.map((slot, index) => runFrom(slot, slots.slice(index + 1), minutes)?.map((id) => byId.get(id)!) ?? null);
}

const fits = (slot: TimedSlot, minutes: number) => slot.endsAt.getTime() - slot.startsAt.getTime() >= minutes * 60_000;

const LATER_SLOTS = `
  SELECT id, starts_at AS "startsAt", ends_at AS "endsAt" FROM slots
  WHERE counter_id = $1::int AND date = $2::date AND starts_at >= $3::timestamptz AND starts_at < $4::timestamptz
  ORDER BY starts_at`;

/**
 * The run of each procedure starting at the slot, by code; throws procedure_too_long when one
 * cannot be formed. Procedures that fit in the slot (the common case) cost no statement.
 */
export async function formRuns(reader: Queryable, slot: TimedSlot & { counterId: number }, procedures: OfferedProcedure[]): Promise<Map<string, Run & { endsAt: Date }>> {
  const longest = Math.max(...procedures.map((procedure) => procedure.minutes));
  const later = fits(slot, longest)
    ? []
    : await reader.query<TimedSlot>(LATER_SLOTS, [slot.counterId, jstDateOf(slot.startsAt), slot.endsAt, new Date(slot.startsAt.getTime() + longest * 60_000)]);
  const endOf = new Map([slot, ...later].map((each) => [each.id, each.endsAt]));
  return new Map(
    procedures.map((procedure) => {
      const run = runFrom(slot, later, procedure.minutes);
      if (!run) throw new BookingError('procedure_too_long');
      return [procedure.code, { slotId: run[0], alsoSlotIds: run.slice(1), endsAt: endOf.get(run[run.length - 1])! }];
    }),
  );
}
