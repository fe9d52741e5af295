// Counters (交付場所): created, edited, reordered and retired by admins.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { IsoDate } from '../../lib/jst.js';
import { OPEN_BOOKING_SQL } from '../../domain/booking-rules.js';
import { AppError } from '../../lib/app-error.js';
import { applyChange } from './change.js';
import { ensureProceduresExist } from './procedure-admin.js';
import { offerProcedures, procedureChoices } from './procedures.js';
import type { CounterFields } from './forms.js';

export async function listCounters(db: DbTx, options: { includeRetired?: boolean } = {}) {
  return db.counter.findMany({
    where: options.includeRetired ? {} : { retiredAt: null },
    orderBy: [{ retiredAt: { sort: 'desc', nulls: 'first' } }, { displayOrder: 'asc' }, { id: 'asc' }],
  });
}

export async function findCounter(db: DbTx, id: number) {
  const counter = await db.counter.findUnique({ where: { id } });
  if (!counter) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
  return counter;
}

async function ensureCodeFree(tx: DbTx, code: string, exceptId?: number): Promise<void> {
  const existing = await tx.counter.findUnique({ where: { code } });
  if (existing && existing.id !== exceptId) throw new AppError(409, 'counter_code_taken', 'schedule.error.codeTaken', { code });
}

/** Rules that derive capacity from windows keep their stored figure in step with the counter. */
async function syncDerivedCapacities(tx: DbTx, counterId: number, windows: number): Promise<void> {
  await tx.$executeRaw`UPDATE opening_rules SET capacity_per_slot = people_per_window * ${windows},
      reserved_capacity = LEAST(reserved_capacity, people_per_window * ${windows}), updated_at = now()
    WHERE counter_id = ${counterId} AND people_per_window IS NOT NULL`;
}

export async function createCounter(tx: Tx, today: IsoDate, fields: CounterFields) {
  return applyChange(tx, today, async (db) => {
    await ensureCodeFree(db, fields.code);
    await ensureProceduresExist(db, fields.procedures);
    const { procedures, ...columns } = fields;
    const last = await db.counter.aggregate({ _max: { displayOrder: true } });
    const counter = await db.counter.create({ data: { ...columns, displayOrder: (last._max.displayOrder ?? 0) + 1 } });
    await offerProcedures(tx, counter.id, procedures);
    return { value: counter, audit: { action: 'schedule.counter.create', targetType: 'counter', targetId: counter.id, detail: { ...fields } } };
  });
}

export async function updateCounter(tx: Tx, today: IsoDate, id: number, fields: CounterFields) {
  return applyChange(tx, today, async (db) => {
    const before = await findCounter(db, id);
    await ensureCodeFree(db, fields.code, id);
    await ensureProceduresExist(db, fields.procedures);
    const { procedures, ...columns } = fields;
    const offeredBefore = (await procedureChoices(tx, id, { includeRetired: true })).map((procedure) => procedure.code);
    const counter = await db.counter.update({ where: { id }, data: columns });
    await offerProcedures(tx, id, procedures);
    await syncDerivedCapacities(db, id, fields.windows);
    const detail = { before: { name: before.name, windows: before.windows, purposes: before.purposes, procedures: offeredBefore }, after: fields };
    return { value: counter, audit: { action: 'schedule.counter.update', targetType: 'counter', targetId: id, detail }, regenerate: [id] };
  });
}

/** Swaps the counter with its neighbour in the display order (as citizens see the list). */
export async function moveCounter(tx: Tx, today: IsoDate, id: number, direction: 'up' | 'down') {
  return applyChange(tx, today, async (db) => {
    const counters = await listCounters(db);
    const index = counters.findIndex((counter) => counter.id === id);
    const other = counters[direction === 'up' ? index - 1 : index + 1];
    if (index >= 0 && other) {
      // Renumber everyone so equal display orders cannot make the swap a no-op.
      const order = counters.map((counter) => counter.id);
      [order[index], order[counters.indexOf(other)]] = [other.id, id];
      for (const [position, counterId] of order.entries()) await db.counter.update({ where: { id: counterId }, data: { displayOrder: position + 1 } });
    }
    return { value: undefined, audit: { action: 'schedule.counter.move', targetType: 'counter', targetId: id, detail: { direction } } };
  });
}

const LOCK_FUTURE_SLOTS = `SELECT id FROM slots WHERE counter_id = $1::int AND date >= $2::date ORDER BY id FOR UPDATE`;
const OPEN_BOOKINGS_FROM = `
  SELECT count(*)::int AS count FROM bookings b JOIN slots s ON s.id = b.slot_id
   WHERE s.counter_id = $1::int AND s.date >= $2::date AND b.status IN ${OPEN_BOOKING_SQL}`;

/**
 * Retires a counter unless people are booked there from today on. The counter's future slots
 * are locked first, so a booking cannot slip in between the check and the retirement.
 */
export async function retireCounter(tx: Tx, today: IsoDate, id: number) {
  return applyChange(tx, today, async (db) => {
    await findCounter(db, id);
    await tx.query(LOCK_FUTURE_SLOTS, [id, today]);
    const [{ count }] = await tx.query<{ count: number }>(OPEN_BOOKINGS_FROM, [id, today]);
    if (count > 0) throw new AppError(409, 'counter_has_bookings', 'schedule.counter.retireRefused', { count });
    const counter = await db.counter.update({ where: { id }, data: { retiredAt: new Date() } });
    return { value: counter, audit: { action: 'schedule.counter.retire', targetType: 'counter', targetId: id }, regenerate: [id] };
  });
}

export async function reinstateCounter(tx: Tx, today: IsoDate, id: number) {
  return applyChange(tx, today, async (db) => {
    const counter = await db.counter.update({ where: { id }, data: { retiredAt: null } });
    return { value: counter, audit: { action: 'schedule.counter.reinstate', targetType: 'counter', targetId: id }, regenerate: [id] };
  });
}
