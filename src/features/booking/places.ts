// The SQL that holds invariant 1 (people booked <= capacity): every place taken goes through
// one guarded UPDATE, so concurrent requests can never push `booked` past the limit; the
// CHECK constraint slots_booked_within_capacity backs it up.
import type { DbTx } from '../../db/client.js';
import type { Db } from '../../db/client.js';
import { BookingError } from './errors.js';

/** Runs fn in a transaction (or in the caller's, when given one) with room to wait for locks. */
export async function inTransaction<T>(db: Db | DbTx, fn: (tx: DbTx) => Promise<T>): Promise<T> {
  if ('$transaction' in db) return (db as Db).$transaction(fn, { maxWait: 20_000, timeout: 20_000 });
  return fn(db);
}

/**
 * Takes `people` places in a slot or throws slot_full. Citizens use capacity minus the places
 * held back for staff; staff and operators (allowReserved) may use all of it.
 */
export async function takePlaces(tx: DbTx, slotId: number, people: number, allowReserved: boolean): Promise<void> {
  if (people <= 0) return;
  const taken = await tx.$executeRaw`
    UPDATE slots SET booked = booked + ${people}, updated_at = now()
    WHERE id = ${slotId}
      AND booked + ${people} <= capacity - CASE WHEN ${allowReserved} THEN 0 ELSE reserved_capacity END`;
  if (taken === 1) return;
  // Places may only look taken by holds that ran out and were not cleaned up yet: give those
  // back now (any request may do it) and try once more.
  if ((await releaseExpiredHoldsOfSlot(tx, slotId)) > 0) return takePlaces(tx, slotId, people, allowReserved);
  throw new BookingError('slot_full');
}

/** Deletes a slot's expired holds and returns their places; how many were returned. */
export async function releaseExpiredHoldsOfSlot(tx: DbTx, slotId: number): Promise<number> {
  const [released] = await tx.$queryRaw<{ people: number }[]>`
    WITH gone AS (DELETE FROM slot_holds WHERE slot_id = ${slotId} AND expires_at <= now() RETURNING people)
    SELECT coalesce(sum(people), 0)::int AS people FROM gone`;
  await returnPlaces(tx, slotId, released.people);
  return released.people;
}

export async function returnPlaces(tx: DbTx, slotId: number, people: number): Promise<void> {
  if (people <= 0) return;
  await tx.$executeRaw`UPDATE slots SET booked = booked - ${people}, updated_at = now() WHERE id = ${slotId}`;
}

/**
 * Locks card holders in id order. Every use case locks card holders first, then slots in id
 * order, so two requests never wait on each other in a circle (no deadlock), and two sessions
 * of the same card holder run one after the other.
 */
export async function lockCardHolders(tx: DbTx, ids: number[]) {
  return tx.$queryRaw<{ id: number; status: string }[]>`
    SELECT id, status::text AS status FROM card_holders WHERE id = ANY(${ids}::int[]) ORDER BY id FOR UPDATE`;
}

export async function lockSlots(tx: DbTx, ids: number[]): Promise<void> {
  await tx.$queryRaw`SELECT id FROM slots WHERE id = ANY(${ids}::int[]) ORDER BY id FOR NO KEY UPDATE`;
}

/** Card statuses from which a booking can be made ('booked' only without an active booking). */
export const BOOKABLE_CARD_STATUSES = ['card_arrived', 'notice_sent', 'booked'];

/** Locks the card holders, checks they can book and have no active booking (invariant 2 backs it). */
export async function checkCardHolders(tx: DbTx, cardHolderIds: number[]): Promise<Map<number, string>> {
  const holders = await lockCardHolders(tx, cardHolderIds);
  if (holders.length !== cardHolderIds.length || holders.some((holder) => !BOOKABLE_CARD_STATUSES.includes(holder.status))) {
    throw new BookingError('card_not_bookable');
  }
  const active = await tx.booking.count({ where: { cardHolderId: { in: cardHolderIds }, status: { in: ['active', 'checked_in'] } } });
  if (active > 0) throw new BookingError('already_booked');
  return new Map(holders.map((holder) => [holder.id, holder.status]));
}
