import type { DbTx } from '../../db/client.js';

export interface BookingPolicyRules {
  opensDaysAhead: number;
  closesDaysBefore: number;
  closesAtMinute: number;
  sameDayAllowed: boolean;
  sameDayUntilMinutes: number;
  maxPeoplePerBooking: number;
}

const FALLBACK: BookingPolicyRules = {
  opensDaysAhead: 60,
  closesDaysBefore: 1,
  closesAtMinute: 17 * 60,
  sameDayAllowed: false,
  sameDayUntilMinutes: 60,
  maxPeoplePerBooking: 5,
};

type PolicyRow = { [K in keyof BookingPolicyRules]: BookingPolicyRules[K] | null };

function merge(base: BookingPolicyRules, row: PolicyRow | null | undefined): BookingPolicyRules {
  if (!row) return base;
  const merged = { ...base };
  for (const key of Object.keys(base) as (keyof BookingPolicyRules)[]) {
    const value = row[key];
    if (value !== null && value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The global row with the counter's row applied, from already-loaded policy rows. */
export function policyFromRows(rows: (PolicyRow & { counterId: number | null })[], counterId: number): BookingPolicyRules {
  const global = rows.find((row) => row.counterId === null);
  const own = rows.find((row) => row.counterId === counterId);
  return merge(merge(FALLBACK, global), own);
}

/** A subselect giving the global and the counter's policy rows as JSON text (for policyFromRows). */
export function policyRowsJson(counterIdColumn: string): string {
  return `(SELECT coalesce(json_agg(json_build_object(
             'counterId', p.counter_id, 'opensDaysAhead', p.opens_days_ahead, 'closesDaysBefore', p.closes_days_before,
             'closesAtMinute', p.closes_at_minute, 'sameDayAllowed', p.same_day_allowed,
             'sameDayUntilMinutes', p.same_day_until_minutes, 'maxPeoplePerBooking', p.max_people_per_booking)), '[]')::text
           FROM booking_policies p WHERE p.counter_id IS NULL OR p.counter_id = ${counterIdColumn})`;
}

/** The global policy with the counter's overrides applied. */
export async function effectivePolicy(db: DbTx, counterId: number): Promise<BookingPolicyRules> {
  return policyFromRows(await db.bookingPolicy.findMany({ where: { OR: [{ counterId: null }, { counterId }] } }), counterId);
}

/** The stored rows for the policy screen: the global row and each counter's override (or none). */
export async function policyRows(db: DbTx) {
  const rows = await db.bookingPolicy.findMany({ include: { counter: true } });
  return { global: rows.find((row) => row.counterId === null), byCounter: new Map(rows.filter((row) => row.counterId !== null).map((row) => [row.counterId!, row])) };
}

export interface PolicyInput {
  opensDaysAhead?: number;
  closesDaysBefore?: number;
  closesAt?: number;
  sameDayAllowed?: boolean;
  sameDayUntilMinutes?: number;
  maxPeoplePerBooking?: number;
}

export function policyColumns(input: PolicyInput) {
  return {
    opensDaysAhead: input.opensDaysAhead ?? null,
    closesDaysBefore: input.closesDaysBefore ?? null,
    closesAtMinute: input.closesAt ?? null,
    sameDayAllowed: input.sameDayAllowed ?? null,
    sameDayUntilMinutes: input.sameDayUntilMinutes ?? null,
    maxPeoplePerBooking: input.maxPeoplePerBooking ?? null,
  };
}

/** Writes the global row (counterId null) or a counter's override; blank fields inherit. */
export async function storePolicy(db: DbTx, counterId: number | null, input: PolicyInput): Promise<void> {
  const data = policyColumns(input);
  const existing = await db.bookingPolicy.findFirst({ where: { counterId } });
  if (existing) await db.bookingPolicy.update({ where: { id: existing.id }, data });
  else await db.bookingPolicy.create({ data: { ...data, counterId } });
}
