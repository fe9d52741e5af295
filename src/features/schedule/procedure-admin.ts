// Procedures as admins keep them (the procedures screens): listed, added, edited, retired
// (no new bookings; booked ones stay) and deleted while nothing names them. The pickup stays.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { OPEN_BOOKING_SQL } from '../../domain/booking-rules.js';
import { applyChange } from './change.js';
import type { ProcedureEditFields, ProcedureFields } from './forms.js';
import { PICKUP } from './procedures.js';

export async function listProcedures(db: DbTx, options: { includeRetired?: boolean } = {}) {
  return db.procedure.findMany({
    where: options.includeRetired ? {} : { retiredAt: null },
    orderBy: [{ retiredAt: { sort: 'desc', nulls: 'first' } }, { displayOrder: 'asc' }, { id: 'asc' }],
    include: { _count: { select: { counters: true } } },
  });
}

export async function findProcedure(db: DbTx, id: number) {
  const procedure = await db.procedure.findUnique({ where: { id } });
  if (!procedure) throw new AppError(404, 'procedure_not_found', 'schedule.procedure.notFound');
  return procedure;
}

/** Refuses codes that name no procedure (a tampered form or a procedure deleted meanwhile). */
export async function ensureProceduresExist(db: DbTx, codes: string[]): Promise<void> {
  const found = await db.procedure.count({ where: { code: { in: codes } } });
  if (found !== new Set(codes).size) throw new AppError(400, 'procedure_unknown', 'schedule.error.procedureUnknown');
}

/** The stored columns of a form's fields: a blank optional field stores null (follow the policy, no limit). */
export const procedureColumns = (fields: ProcedureEditFields) => ({
  ...fields,
  opensDaysAhead: fields.opensDaysAhead ?? null,
  sameDayAllowed: fields.sameDayAllowed ?? null,
  perSlotLimit: fields.perSlotLimit ?? null,
  perDayLimit: fields.perDayLimit ?? null,
});

export async function createProcedure(tx: Tx, today: IsoDate, fields: ProcedureFields) {
  return applyChange(tx, today, async (db) => {
    if (await db.procedure.findUnique({ where: { code: fields.code } })) throw new AppError(409, 'procedure_code_taken', 'schedule.error.codeTaken');
    const last = await db.procedure.aggregate({ _max: { displayOrder: true } });
    const procedure = await db.procedure.create({ data: { ...procedureColumns(fields), code: fields.code, displayOrder: (last._max.displayOrder ?? 0) + 1 } });
    return { value: procedure, audit: { action: 'schedule.procedure.create', targetType: 'procedure', targetId: procedure.code, detail: { ...fields } } };
  });
}

export async function updateProcedure(tx: Tx, today: IsoDate, id: number, fields: ProcedureEditFields) {
  return applyChange(tx, today, async (db) => {
    const before = await findProcedure(db, id);
    const procedure = await db.procedure.update({ where: { id }, data: procedureColumns(fields) });
    const detail = { before: { name: before.name, minutes: before.minutes, perSlotLimit: before.perSlotLimit, perDayLimit: before.perDayLimit }, after: fields };
    return { value: procedure, audit: { action: 'schedule.procedure.update', targetType: 'procedure', targetId: procedure.code, detail } };
  });
}

async function findChangeable(db: DbTx, id: number) {
  const procedure = await findProcedure(db, id);
  if (procedure.code === PICKUP) throw new AppError(409, 'procedure_pickup_fixed', 'schedule.procedure.pickupFixed');
  return procedure;
}

/** Citizens and staff can no longer book it; bookings already made for it stay as they are. */
export async function retireProcedure(tx: Tx, today: IsoDate, id: number) {
  return applyChange(tx, today, async (db) => {
    const { code } = await findChangeable(db, id);
    const procedure = await db.procedure.update({ where: { id }, data: { retiredAt: new Date() } });
    return { value: procedure, audit: { action: 'schedule.procedure.retire', targetType: 'procedure', targetId: code } };
  });
}

export async function reinstateProcedure(tx: Tx, today: IsoDate, id: number) {
  return applyChange(tx, today, async (db) => {
    const procedure = await db.procedure.update({ where: { id: (await findProcedure(db, id)).id }, data: { retiredAt: null } });
    return { value: procedure, audit: { action: 'schedule.procedure.reinstate', targetType: 'procedure', targetId: procedure.code } };
  });
}

const OPEN_BOOKINGS_FOR = `SELECT count(*)::int AS count FROM bookings WHERE procedure_code = $1 AND status IN ${OPEN_BOOKING_SQL}`;
const SOLE_OFFERS = `
  SELECT count(*)::int AS count FROM counter_procedures cp
   WHERE cp.procedure_code = $1 AND NOT EXISTS (SELECT 1 FROM counter_procedures other WHERE other.counter_id = cp.counter_id AND other.procedure_code <> $1)`;

/**
 * Deletes a procedure nobody is booked for and no counter offers alone. One with open bookings
 * can only be retired; past bookings keep naming it, so it is then refused by the database too.
 */
export async function deleteProcedure(tx: Tx, today: IsoDate, id: number) {
  return applyChange(tx, today, async (db) => {
    const { code } = await findChangeable(db, id);
    await tx.query(`SELECT id FROM procedures WHERE id = $1::int FOR UPDATE`, [id]);
    const [{ count: booked }] = await tx.query<{ count: number }>(OPEN_BOOKINGS_FOR, [code]);
    if (booked > 0) throw new AppError(409, 'procedure_in_use', 'schedule.procedure.deleteRefused', { count: booked });
    const [{ count: sole }] = await tx.query<{ count: number }>(SOLE_OFFERS, [code]);
    if (sole > 0) throw new AppError(409, 'procedure_sole_offer', 'schedule.procedure.soleOffer', { count: sole });
    const [{ count: history }] = await tx.query<{ count: number }>(
      `SELECT (SELECT count(*) FROM bookings WHERE procedure_code = $1) + (SELECT count(*) FROM slot_holds WHERE procedure_code = $1) AS count`,
      [code],
    );
    if (Number(history) > 0) throw new AppError(409, 'procedure_has_history', 'schedule.procedure.hasHistory');
    await db.counterProcedure.deleteMany({ where: { procedureCode: code } });
    await db.procedure.delete({ where: { id } });
    return { value: undefined, audit: { action: 'schedule.procedure.delete', targetType: 'procedure', targetId: code } };
  });
}
