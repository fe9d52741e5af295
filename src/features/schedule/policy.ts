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
  opensDaysAhead: 60, closesDaysBefore: 1, closesAtMinute: 17 * 60, sameDayAllowed: false, sameDayUntilMinutes: 60, maxPeoplePerBooking: 5,
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

/** The global policy with the counter's overrides applied. */
export async function effectivePolicy(db: DbTx, counterId: number): Promise<BookingPolicyRules> {
  const rows = await db.bookingPolicy.findMany({ where: { OR: [{ counterId: null }, { counterId }] } });
  const global = rows.find((row) => row.counterId === null);
  const own = rows.find((row) => row.counterId === counterId);
  return merge(merge(FALLBACK, global), own);
}
