// A counter's booking rules as a command needs them: its policy (how far ahead, deadlines, how
// many people) and its opening days (deadlines count opening days), read with other rows in
// one statement, and the check of a booking or change against them.
import type { Queryable } from '../../db/client.js';
import type { CounterTimetable } from '../schedule/calendar.js';
import { daysOf, type CounterDays } from '../schedule/opening-days.js';
import { policyFromRows, policyRowsJson, type BookingPolicyRules } from '../schedule/policy.js';
import { timetableJson } from '../schedule/slot-generation.js';
import { can, type StaffPrincipal } from '../../policies/index.js';
import { BookingError } from './errors.js';
import { offeredByCode, offeredProceduresJson, procedurePolicy, type OfferedProcedure } from '../schedule/procedures.js';
import { bookingWindowProblem, changeWindowProblem, slotBookingDeadline } from './window.js';

export interface CounterRules extends CounterDays {
  policy: BookingPolicyRules;
}

/** The SQL columns `policies` and `timetable` of the counter `counterIdColumn`, for rulesOfRow. */
export const counterRulesColumns = (counterIdColumn: string) => `${policyRowsJson(counterIdColumn)} AS policies, ${timetableJson(counterIdColumn)} AS timetable`;

export function rulesOfRow(row: { policies: string; timetable: string | null }, counterId: number): CounterRules {
  return {
    policy: policyFromRows(JSON.parse(row.policies), counterId),
    ...daysOf(row.timetable ? (JSON.parse(row.timetable) as CounterTimetable) : undefined),
  };
}

const COUNTER_RULES = `SELECT ${counterRulesColumns('$1::int')}`;

export async function counterRules(reader: Queryable, counterId: number): Promise<CounterRules> {
  const [row] = await reader.query<{ policies: string; timetable: string | null }>(COUNTER_RULES, [counterId]);
  return rulesOfRow(row, counterId);
}

/** The counter's rules with the procedure's own booking window (opens_days_ahead, same_day_allowed). */
export const withProcedure = (rules: CounterRules, procedure: OfferedProcedure): CounterRules => ({ ...rules, policy: procedurePolicy(rules.policy, procedure) });

const PROCEDURE_RULES = `SELECT ${counterRulesColumns('$1::int')}, ${offeredProceduresJson('$2::text[]', '$1::int')} AS procedures`;
type ProcedureRulesRow = { policies: string; timetable: string | null; procedures: string };

/** The rules a citizen booking `procedure` at the counter meets, with the procedure; null when the counter does not offer it. */
export async function procedureRulesAt(reader: Queryable, counterId: number, procedure: string): Promise<ProcedureRules | null> {
  const [row] = await reader.query<ProcedureRulesRow>(PROCEDURE_RULES, [counterId, [procedure]]);
  return rulesOfProcedureRow(row, counterId, procedure);
}

/**
 * The rules of each procedure of a visit at its counter (the counter's own when none is offered
 * there any more): a change moves everyone in the visit, so it meets all of them.
 */
export async function visitRules(reader: Queryable, counterId: number, procedures: string[]): Promise<CounterRules[]> {
  const [row] = await reader.query<ProcedureRulesRow>(PROCEDURE_RULES, [counterId, procedures]);
  const rules = rulesOfRow(row, counterId);
  const offered = [...offeredByCode(row.procedures).values()];
  return offered.length > 0 ? offered.map((procedure) => withProcedure(rules, procedure)) : [rules];
}

/** The web deadline of a visit starting at `startsAt`: the earliest of its procedures'. */
export const visitDeadline = (startsAt: Date, rules: CounterRules[]): Date =>
  new Date(Math.min(...rules.map(({ policy, isOpeningDay }) => slotBookingDeadline(startsAt, policy, isOpeningDay).getTime())));

export type ProcedureRules = CounterRules & { procedure: OfferedProcedure };

/** rulesOfRow with the procedure offered in the row's `procedures` column (offeredProceduresJson); null when not offered. */
export function rulesOfProcedureRow(row: { policies: string; timetable: string | null; procedures: string }, counterId: number, procedure: string): ProcedureRules | null {
  const offered = offeredByCode(row.procedures).get(procedure);
  return offered ? { ...withProcedure(rulesOfRow(row, counterId), offered), procedure: offered } : null;
}

/**
 * Whether a booking ('book') or a change or cancellation ('change') of a slot starting at
 * `startsAt` is allowed now for `people` people; throws the refusal. Staff may act past the
 * citizen's deadlines, never past the most people per booking.
 */
export function checkWindow(kind: 'book' | 'change', startsAt: Date, rules: CounterRules, options: { by: StaffPrincipal | null; now: Date; people?: number }): void {
  if (options.people !== undefined && options.people > rules.policy.maxPeoplePerBooking) throw new BookingError('too_many_people');
  if (can(options.by, 'booking.bypassWindow')) return;
  const problem = (kind === 'book' ? bookingWindowProblem : changeWindowProblem)(startsAt, rules.policy, options.now, rules.isOpeningDay);
  if (problem) throw new BookingError(problem);
}

/** The web deadline of a visit of these procedures in a slot, by its counter's policy and opening days. */
export async function slotDeadline(reader: Queryable, slot: { counterId: number; startsAt: Date }, procedures: string[]): Promise<Date> {
  return visitDeadline(slot.startsAt, await visitRules(reader, slot.counterId, procedures));
}
