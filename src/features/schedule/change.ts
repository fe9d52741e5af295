// Every admin change to the timetable runs the same way: one transaction holding the change,
// its audit entry and the regeneration of the affected counters' slots.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { addDays, dateColumn, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit, type AuditEntry } from '../staff/audit.js';
import { MAX_SLOT_RANGE_DAYS } from './forms.js';
import { storePolicy, type PolicyInput } from './policy.js';
import { horizonEnd, lockTimetables, regenerateSlots, type RegenerationResult } from './slot-generation.js';

/** A change with its slot regeneration may take this long (the route's transaction time-out). */
export const CHANGE_TIMEOUT_MS = 120_000;

export interface ChangeOutcome<T> {
  value: T;
  audit: AuditEntry;
  /** Counters whose slots follow from the change ('all' for all-counter closures and the policy). */
  regenerate?: number[] | 'all';
}

export interface Applied<T> {
  value: T;
  regeneration?: RegenerationResult;
}

/** Runs a timetable change in the caller's transaction, regenerates the slots it affects and audits it. */
export async function applyChange<T>(tx: Tx, today: IsoDate, change: (db: DbTx) => Promise<ChangeOutcome<T>>): Promise<Applied<T>> {
  await lockTimetables(tx);
  const outcome = await change(tx.db);
  let regeneration: RegenerationResult | undefined;
  if (outcome.regenerate) {
    const counters = outcome.regenerate === 'all' ? undefined : outcome.regenerate;
    regeneration = await regenerateSlots(tx, today, await horizonEnd(tx.db, today), counters);
  }
  await recordAudit(tx, { ...outcome.audit, detail: { ...outcome.audit.detail, regeneration } });
  return { value: outcome.value, regeneration };
}

export async function savePolicy(tx: Tx, today: IsoDate, counterId: number | null, input: PolicyInput) {
  return applyChange(tx, today, async (db) => {
    await storePolicy(db, counterId, input);
    // A longer booking window needs slots further ahead at once, not at the next nightly run.
    return {
      value: undefined,
      audit: { action: 'schedule.policy.update', targetType: counterId === null ? 'policy' : 'counter', targetId: counterId ?? 'global', detail: { ...input } },
      regenerate: counterId === null ? 'all' : [counterId],
    };
  });
}

/** The nightly generation, run now from the conflicts screen. */
export async function regenerateAllNow(tx: Tx, today: IsoDate) {
  return applyChange(tx, today, async () => ({ value: undefined, audit: { action: 'schedule.slots.regenerate' }, regenerate: 'all' }));
}

export interface SlotRange {
  from: IsoDate;
  to: IsoDate;
}

/**
 * Staff plan ahead: every counter's slots for a chosen range (e.g. the whole fiscal year), and
 * for any gap between today's horizon and the range. The range then stays inside the slot
 * horizon, so later changes regenerate it too.
 */
export async function generateSlotRange(tx: Tx, today: IsoDate, range: SlotRange) {
  if (range.from < today) throw new AppError(400, 'slot_range_past', 'schedule.error.slotRangePast');
  // The gap up to the range is generated too: a far range would mean years of slots.
  if (range.to > addDays(today, MAX_SLOT_RANGE_DAYS)) throw new AppError(400, 'slot_range_too_far', 'schedule.error.slotRangeTooFar');
  return applyChange(tx, today, async (db) => {
    // From the current horizon's end when the range starts later, so no day is left without slots.
    const currentEnd = await horizonEnd(db, today);
    const result = await regenerateSlots(tx, range.from < currentEnd ? range.from : currentEnd, range.to);
    const total = await db.slot.count({ where: { date: { gte: dateColumn(range.from), lte: dateColumn(range.to) } } });
    const value = { ...result, total };
    return { value, audit: { action: 'schedule.slots.generate', targetType: 'slots', targetId: `${range.from}..${range.to}`, detail: { ...range, ...value } } };
  });
}
