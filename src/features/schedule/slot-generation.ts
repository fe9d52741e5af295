// Turns opening rules into slot rows for a date range. Existing slots are never deleted or
// shrunk below what is booked (ON CONFLICT only raises capacity or lowers it to >= booked).
import type { DbTx } from '../../db/client.js';
import { addDays, dateColumn, dayOfWeek, isoDateOfColumn, jstInstant, type IsoDate } from '../../lib/jst.js';
import { nationalHoliday } from './holidays.js';

export interface PlannedSlot {
  counterId: number;
  date: IsoDate;
  startMinute: number;
  endMinute: number;
  capacity: number;
  reservedCapacity: number;
}

interface RuleLike {
  counterId: number;
  daysOfWeek: number[];
  startMinute: number;
  endMinute: number;
  slotMinutes: number;
  capacityPerSlot: number;
  reservedCapacity: number;
  validFrom: Date;
  validTo: Date | null;
  openOnHolidays: boolean;
}

export function planSlotsForRule(rule: RuleLike, from: IsoDate, to: IsoDate): PlannedSlot[] {
  const planned: PlannedSlot[] = [];
  const validFrom = isoDateOfColumn(rule.validFrom);
  const validTo = rule.validTo ? isoDateOfColumn(rule.validTo) : undefined;
  for (let date = from; date <= to; date = addDays(date, 1)) {
    if (date < validFrom || (validTo && date > validTo)) continue;
    if (!rule.daysOfWeek.includes(dayOfWeek(date))) continue;
    if (!rule.openOnHolidays && nationalHoliday(date)) continue;
    for (let start = rule.startMinute; start + rule.slotMinutes <= rule.endMinute; start += rule.slotMinutes) {
      planned.push({
        counterId: rule.counterId,
        date,
        startMinute: start,
        endMinute: start + rule.slotMinutes,
        capacity: rule.capacityPerSlot,
        reservedCapacity: rule.reservedCapacity,
      });
    }
  }
  return planned;
}

/** Inserts planned slots in batches; returns how many rows were written. */
export async function writeSlots(db: DbTx, slots: PlannedSlot[]): Promise<number> {
  let written = 0;
  for (let index = 0; index < slots.length; index += 2000) {
    const batch = slots.slice(index, index + 2000);
    written += await db.$executeRaw`
      INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, reserved_capacity, updated_at)
      SELECT * , now() FROM unnest(
        ${batch.map((slot) => slot.counterId)}::int[],
        ${batch.map((slot) => dateColumn(slot.date))}::date[],
        ${batch.map((slot) => jstInstant(slot.date, slot.startMinute))}::timestamptz[],
        ${batch.map((slot) => jstInstant(slot.date, slot.endMinute))}::timestamptz[],
        ${batch.map((slot) => slot.capacity)}::int[],
        ${batch.map((slot) => slot.reservedCapacity)}::int[])
      ON CONFLICT (counter_id, starts_at) DO UPDATE
        SET capacity = GREATEST(EXCLUDED.capacity, slots.booked),
            reserved_capacity = LEAST(EXCLUDED.reserved_capacity, GREATEST(EXCLUDED.capacity, slots.booked)),
            ends_at = EXCLUDED.ends_at,
            updated_at = now()`;
  }
  return written;
}

export async function generateSlots(db: DbTx, from: IsoDate, to: IsoDate): Promise<number> {
  const rules = await db.openingRule.findMany({ where: { counter: { retiredAt: null } } });
  return writeSlots(db, rules.flatMap((rule) => planSlotsForRule(rule, from, to)));
}
