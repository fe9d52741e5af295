// The SQL that holds invariant 1 (people booked <= capacity): every place taken goes through
// one guarded UPDATE, so concurrent requests can never push `booked` past the limit; the
// CHECK constraint slots_booked_within_capacity backs it up.
import type { DbTx } from '../../db/client.js';
import type { Db } from '../../db/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { BookingError } from './errors.js';
import { policyFromRows, type BookingPolicyRules } from '../schedule/policy.js';
import { idList, sqlOfTx, type Sql } from './sql.js';

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
  await takePlacesWith(sqlOfTx(tx), slotId, people, allowReserved);
}

/**
 * Runs `take` (a guarded statement that returns a row when it got its places) and, when the
 * places are not there, gives back the slot's expired holds and tries again; else slot_full.
 */
export async function takeOrRelease(sql: Sql, slotId: number, now: Date, take: () => Promise<unknown[]>): Promise<void> {
  for (;;) {
    if ((await take()).length === 1) return;
    // Places may only look taken by holds that ran out and were not cleaned up yet: give those
    // back now (any request may do it) and try once more.
    if ((await releaseExpiredHoldsOfSlotWith(sql, slotId, now)) === 0) throw new BookingError('slot_full');
  }
}

export async function takePlacesWith(sql: Sql, slotId: number, people: number, allowReserved: boolean): Promise<void> {
  if (people <= 0) return;
  await takeOrRelease(sql, slotId, clockNow(), () =>
    sql.query(
      `UPDATE slots SET booked = booked + $2::int, updated_at = now()
       WHERE id = $1::int AND booked + $2::int <= capacity - CASE WHEN $3::boolean THEN 0 ELSE reserved_capacity END
       RETURNING id`,
      [slotId, people, allowReserved],
    ),
  );
}

/** Deletes a slot's expired holds and returns their places; how many were returned. */
export async function releaseExpiredHoldsOfSlot(tx: DbTx, slotId: number, now = clockNow()): Promise<number> {
  return releaseExpiredHoldsOfSlotWith(sqlOfTx(tx), slotId, now);
}

async function releaseExpiredHoldsOfSlotWith(sql: Sql, slotId: number, now: Date): Promise<number> {
  const [released] = await sql.query<{ people: number }>(
    `WITH gone AS (DELETE FROM slot_holds WHERE slot_id = $1::int AND expires_at <= $2::timestamptz RETURNING people)
     SELECT coalesce(sum(people), 0)::int AS people FROM gone`,
    [slotId, now],
  );
  await returnPlacesWith(sql, slotId, released.people);
  return released.people;
}

export async function returnPlaces(tx: DbTx, slotId: number, people: number): Promise<void> {
  await returnPlacesWith(sqlOfTx(tx), slotId, people);
}

export async function returnPlacesWith(sql: Sql, slotId: number, people: number): Promise<void> {
  if (people <= 0) return;
  await sql.query(`UPDATE slots SET booked = booked - $2::int, updated_at = now() WHERE id = $1::int`, [slotId, people]);
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

/** The statement that locks card holders in id order, sent with BEGIN (see sqlTransaction). */
export function lockHoldersStatement(ids: number[]): string {
  return `SELECT id, status::text AS status FROM card_holders WHERE id IN (${idList(ids)}) ORDER BY id FOR UPDATE`;
}

/** Checks locked card holders can book (status; an active booking is checked by bookingState). */
export function checkLockedHolders(holders: unknown[], ids: number[]): Map<number, string> {
  const rows = holders as { id: number; status: string }[];
  if (rows.length !== ids.length || rows.some((holder) => !BOOKABLE_CARD_STATUSES.includes(holder.status))) throw new BookingError('card_not_bookable');
  return new Map(rows.map((holder) => [holder.id, holder.status]));
}

export interface BookingState {
  now: Date;
  /** The card holders' holds, removed (the caller settles their places). */
  holds: HeldPlace[];
  slot: { id: number; counterId: number; startsAt: Date; endsAt: Date; counterName: string; counterAddress: string; accessNotes: string };
  policy: BookingPolicyRules;
}

export interface HeldPlace {
  slotId: number;
  people: number;
  live: boolean;
}

/** A subselect giving the global and the counter's booking policy rows as JSON text (for policyFromRows). */
export function policyRowsJson(counterIdColumn: string): string {
  return `(SELECT coalesce(json_agg(json_build_object(
             'counterId', p.counter_id, 'opensDaysAhead', p.opens_days_ahead, 'closesDaysBefore', p.closes_days_before,
             'closesAtMinute', p.closes_at_minute, 'sameDayAllowed', p.same_day_allowed,
             'sameDayUntilMinutes', p.same_day_until_minutes, 'maxPeoplePerBooking', p.max_people_per_booking)), '[]')::text
           FROM booking_policies p WHERE p.counter_id IS NULL OR p.counter_id = ${counterIdColumn})`;
}

interface BookingStateRow {
  now: Date;
  active: number;
  holds: string;
  slot_id: number | null;
  counter_id: number;
  starts_at: Date;
  ends_at: Date;
  counter_name: string;
  counter_address: string;
  access_notes: string;
  policies: string;
}

const BOOKING_STATE = `
   WITH active AS (SELECT count(*)::int AS n FROM bookings WHERE card_holder_id = ANY($1::int[]) AND status IN ('active', 'checked_in')),
   gone AS (DELETE FROM slot_holds
            WHERE card_holder_id = ANY($1::int[]) AND (SELECT n FROM active) = 0 AND EXISTS (SELECT 1 FROM slots WHERE id = $2::int)
            RETURNING slot_id AS "slotId", people, expires_at > $3::timestamptz AS live)
   SELECT $3::timestamptz AS now, (SELECT n FROM active) AS active,
          (SELECT coalesce(json_agg(gone), '[]')::text FROM gone) AS holds,
          s.id AS slot_id, s.counter_id, s.starts_at, s.ends_at, c.name AS counter_name, c.address AS counter_address, c.access_notes,
          ${policyRowsJson('s.counter_id')} AS policies
   FROM (SELECT 1) AS one LEFT JOIN slots s ON s.id = $2::int LEFT JOIN counters c ON c.id = s.counter_id`;

/**
 * After the card holders are locked, in one statement: whether any has an active booking, the
 * slot with its counter and booking policy rows, and their holds, which are removed only when
 * the card holders may book and the slot exists. Throws already_booked / slot_not_found.
 */
export async function bookingState(sql: Sql, ids: number[], slotId: number, now = clockNow()): Promise<BookingState> {
  const [row] = await sql.query<BookingStateRow>(BOOKING_STATE, [ids, slotId, now]);
  if (row.active > 0) throw new BookingError('already_booked');
  if (row.slot_id === null) throw new BookingError('slot_not_found');
  return {
    now: row.now,
    holds: JSON.parse(row.holds) as HeldPlace[],
    slot: { id: row.slot_id, counterId: row.counter_id, startsAt: row.starts_at, endsAt: row.ends_at, counterName: row.counter_name, counterAddress: row.counter_address, accessNotes: row.access_notes },
    policy: policyFromRows(JSON.parse(row.policies), row.counter_id),
  };
}

/** Gives back the places of removed holds, except those credited to `keepSlotId`; returns the credit. */
export async function settleHoldsWith(sql: Sql, holds: HeldPlace[], keepSlotId?: number): Promise<number> {
  let credit = 0;
  for (const hold of holds) {
    if (hold.live && hold.slotId === keepSlotId) credit += hold.people;
    else await returnPlacesWith(sql, hold.slotId, hold.people);
  }
  return credit;
}
