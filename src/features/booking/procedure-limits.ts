// A procedure's own caps: at most perSlotLimit of a slot's places, perDayLimit of a counter's
// day. Procedures share a slot's places (the guarded UPDATE in places.ts holds the slot's
// capacity); these caps are counted here, after a transaction-level advisory lock on the
// counter, the day and the procedure, so two bookings of one capped procedure that day run in
// turn and the second counts the first. The lock comes after the card holders' locks and before
// any slot's (the lock order of places.ts). A procedure without caps costs nothing here.
import type { SqlTx } from '../../db/transaction.js';
import { jstDateOf } from '../../lib/jst.js';
import { offeredByCode, offeredProceduresJson, type OfferedProcedure } from '../schedule/procedures.js';
import { OPEN_BOOKING_SQL } from '../../domain/booking-rules.js';
import { BookingError } from './errors.js';
import type { Run } from './places.js';

const LOCK = `SELECT pg_advisory_xact_lock(hashtext('procedure:' || $1::int || ':' || $2::text || ':' || $3::text))`;

// Open bookings and live holds of the procedure at the counter that day, leaving out the
// bookings being moved (`$6`): in the busiest slot of the run `$4` (counting each booking or
// hold in every slot of its own run), and in all.
const TAKEN = `
  WITH x AS (SELECT array_prepend(b.slot_id, b.also_slot_ids) AS run, 1 AS people FROM bookings b JOIN slots s ON s.id = b.slot_id
             WHERE s.counter_id = $1::int AND s.date = $2::date AND b.procedure_code = $3 AND b.status IN ${OPEN_BOOKING_SQL} AND NOT (b.id = ANY($6::int[]))
             UNION ALL
             SELECT array_prepend(h.slot_id, h.also_slot_ids), h.people FROM slot_holds h JOIN slots s ON s.id = h.slot_id
             WHERE s.counter_id = $1::int AND s.date = $2::date AND h.procedure_code = $3 AND h.expires_at > $5::timestamptz)
  SELECT coalesce((SELECT max(n) FROM (SELECT sum(x.people) AS n FROM x, unnest($4::int[]) AS r(id) WHERE r.id = ANY(x.run) GROUP BY r.id) AS per), 0)::int AS "inSlot",
         coalesce((SELECT sum(people) FROM x), 0)::int AS "inDay"`;

export interface ProcedurePlaces {
  procedure: OfferedProcedure;
  slot: { counterId: number; startsAt: Date };
  /** The slots the people take a place in (their run). */
  run: Run;
  people: number;
  now: Date;
  /** Bookings that move to this slot: not counted as taken already. */
  moving?: number[];
}

/** Refuses when the procedure's caps leave no room for `people` more in any slot of the run or on the day. */
export async function checkProcedureLimits(tx: SqlTx, { procedure, slot, run, people, now, moving = [] }: ProcedurePlaces): Promise<void> {
  if (procedure.perSlotLimit === null && procedure.perDayLimit === null) return;
  const day = jstDateOf(slot.startsAt);
  // Sent together: the count starts (and takes its snapshot) only once the lock is granted.
  const [, [taken]] = await Promise.all([
    tx.query(LOCK, [slot.counterId, day, procedure.code]),
    tx.query<{ inSlot: number; inDay: number }>(TAKEN, [slot.counterId, day, procedure.code, [run.slotId, ...run.alsoSlotIds], now, moving]),
  ]);
  if (procedure.perSlotLimit !== null && taken.inSlot + people > procedure.perSlotLimit) throw new BookingError('procedure_slot_full');
  if (procedure.perDayLimit !== null && taken.inDay + people > procedure.perDayLimit) throw new BookingError('procedure_day_full');
}

const PROCEDURE_AT = `SELECT ${offeredProceduresJson('$1::text[]', '$2::int')} AS procedures`;

/** The procedure `code` among those offered (`offered`, by code); throws procedure_not_offered. */
export function offeredOrRefuse(offered: Map<string, OfferedProcedure>, code: string): OfferedProcedure {
  const procedure = offered.get(code);
  if (!procedure) throw new BookingError('procedure_not_offered');
  return procedure;
}

/** A person without a notice ID (an applicant) cannot book a procedure that needs one (the pickup). */
export function refuseNoticeIdProcedure(person: { applicantId: number | null }, procedure: OfferedProcedure): void {
  if (person.applicantId !== null && procedure.needsNoticeId) throw new BookingError('procedure_needs_notice_id');
}

/** The procedures as offered at the counter, by code, in one read; throws procedure_not_offered when one is not. */
export async function proceduresAt(tx: SqlTx, codes: string[], counterId: number): Promise<Map<string, OfferedProcedure>> {
  const [row] = await tx.query<{ procedures: string }>(PROCEDURE_AT, [codes, counterId]);
  const offered = offeredByCode(row.procedures);
  for (const code of codes) offeredOrRefuse(offered, code);
  return offered;
}
