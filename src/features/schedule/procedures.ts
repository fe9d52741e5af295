// Procedures: what a person comes to a counter for (the card pickup, an application with staff
// help, a certificate renewal, a PIN reset...), and which counters offer each. They share a
// slot's places; a procedure may cap how many places it takes per slot and per day, and may
// open earlier or later than the counter's policy says. The booking commands read the one a
// booking is for in the same statement as the slot (offeredProcedureJson).
import type { Queryable } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import type { BookingPolicyRules } from './policy.js';

/** The procedure every booking made before procedures existed is for, and the default one. */
export const PICKUP = 'pickup';

/** A procedure as a booking needs it: offered at the slot's counter and not retired. */
export interface OfferedProcedure {
  code: string;
  name: string;
  minutes: number;
  documents: string[];
  needsNoticeId: boolean;
  perSlotLimit: number | null;
  perDayLimit: number | null;
  opensDaysAhead: number | null;
  sameDayAllowed: boolean | null;
}

/**
 * SQL giving, as a JSON array in text, those of the procedures `codesParam` (a text[]) that the
 * counter `counterIdColumn` offers and that are not retired, for statements that read them with
 * other rows (offeredByCode reads it).
 */
export const offeredProceduresJson = (codesParam: string, counterIdColumn: string) => `
  (SELECT coalesce(json_agg(json_build_object('code', p.code, 'name', p.name, 'minutes', p.minutes, 'documents', p.documents, 'needsNoticeId', p.needs_notice_id,
            'perSlotLimit', p.per_slot_limit, 'perDayLimit', p.per_day_limit, 'opensDaysAhead', p.opens_days_ahead, 'sameDayAllowed', p.same_day_allowed)
            ORDER BY p.display_order, p.id), '[]')::text
   FROM procedures p JOIN counter_procedures cp ON cp.procedure_code = p.code AND cp.counter_id = ${counterIdColumn}
   WHERE p.code = ANY(${codesParam}) AND p.retired_at IS NULL)`;

export const offeredByCode = (json: string): Map<string, OfferedProcedure> => new Map((JSON.parse(json) as OfferedProcedure[]).map((procedure) => [procedure.code, procedure]));

/** The counter's policy with the procedure's own booking window where it sets one. */
export function procedurePolicy(policy: BookingPolicyRules, procedure: OfferedProcedure): BookingPolicyRules {
  return {
    ...policy,
    opensDaysAhead: procedure.opensDaysAhead ?? policy.opensDaysAhead,
    sameDayAllowed: procedure.sameDayAllowed ?? policy.sameDayAllowed,
  };
}

/** Makes a counter offer exactly these procedures (a new counter offers the pickup unless told otherwise). */
export async function offerProcedures(tx: SqlTx, counterId: number, codes: string[]): Promise<void> {
  await tx.query(`DELETE FROM counter_procedures WHERE counter_id = $1::int AND NOT (procedure_code = ANY($2::text[]))`, [counterId, codes]);
  await tx.query(`INSERT INTO counter_procedures (counter_id, procedure_code) SELECT $1::int, unnest($2::text[]) ON CONFLICT DO NOTHING`, [counterId, codes]);
}

/**
 * The procedures a counter offers, in display order; retired ones only when asked (the counter
 * form keeps showing them); only those booked without a notice ID when asked (applicants).
 */
export function procedureChoices(
  reader: Queryable,
  counterId: number,
  options: { includeRetired?: boolean; withoutNoticeId?: boolean } = {},
): Promise<{ code: string; name: string; minutes: number }[]> {
  return reader.query(
    `SELECT p.code, p.name, p.minutes FROM procedures p JOIN counter_procedures cp ON cp.procedure_code = p.code
     WHERE cp.counter_id = $1::int AND ($2::boolean OR p.retired_at IS NULL) AND NOT ($3::boolean AND p.needs_notice_id) ORDER BY p.display_order, p.id`,
    [counterId, options.includeRetired ?? false, options.withoutNoticeId ?? false],
  );
}
