// Places and locks, the SQL that holds invariant 1 (people booked <= capacity): every place
// taken goes through one guarded UPDATE, so concurrent requests never push `booked` past the
// limit; the CHECK constraint slots_booked_within_capacity backs it up.
//
// Lock order, in every command: card holders (id order), then applicants (id order), then a
// procedure's caps (procedure-limits.ts), then slots (id order), so two requests never wait on
// each other in a circle, and two sessions of one person run in turn.
import type { SqlTx } from '../../db/transaction.js';
import type { CardStatus } from '../../generated/prisma/client.js';
import { BookingError } from './errors.js';
import { BOOKABLE_CARD_STATUSES } from '../../domain/booking-rules.js';

/** Locks the card holders in id order; their statuses. */
export async function lockHolders(tx: SqlTx, ids: number[]): Promise<Map<number, CardStatus>> {
  const rows = await tx.query<{ id: number; status: CardStatus }>(`SELECT id, status FROM card_holders WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE`, [ids]);
  return new Map(rows.map((row) => [row.id, row.status]));
}

/** Locks card holders that are to book: each must exist and be in a bookable status. */
export async function lockBookingHolders(tx: SqlTx, ids: number[]): Promise<Map<number, CardStatus>> {
  const statuses = await lockHolders(tx, ids);
  if (statuses.size !== ids.length || [...statuses.values()].some((status) => !BOOKABLE_CARD_STATUSES.includes(status))) throw new BookingError('card_not_bookable');
  return statuses;
}

/**
 * Who a booking or hold is for: a card holder (logged in with a notice ID) or an applicant (a
 * procedure without one). Exactly one is set, as in the rows (CHECK bookings_one_person).
 */
export interface Person {
  cardHolderId: number | null;
  applicantId: number | null;
}

/** One person named by the caller: a card holder or an applicant. */
export type PersonRef = { cardHolderId: number; applicantId?: undefined } | { applicantId: number; cardHolderId?: undefined };
export const personOf = (ref: PersonRef): Person => ({ cardHolderId: ref.cardHolderId ?? null, applicantId: ref.applicantId ?? null });

const defined = (ids: (number | null)[]) => ids.filter((id): id is number => id !== null);
export const holderIdsOf = (people: Person[]) => defined(people.map((person) => person.cardHolderId));
export const applicantIdsOf = (people: Person[]) => defined(people.map((person) => person.applicantId));

/** Locks the applicants in id order; refuses (applicant_not_found) when one is missing. */
export async function lockApplicants(tx: SqlTx, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.query(`SELECT id FROM applicants WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE`, [ids]);
  if (rows.length !== new Set(ids).size) throw new BookingError('applicant_not_found');
}

/** Locks the people (card holders, then applicants); the card holders' statuses. */
export async function lockPeople(tx: SqlTx, people: Person[]): Promise<Map<number, CardStatus>> {
  const statuses = await lockHolders(tx, holderIdsOf(people));
  await lockApplicants(tx, applicantIdsOf(people));
  return statuses;
}

export async function lockSlots(tx: SqlTx, ids: number[]): Promise<void> {
  await tx.query(`SELECT id FROM slots WHERE id = ANY($1::int[]) ORDER BY id FOR NO KEY UPDATE`, [ids]);
}

const TAKE_PLACES = `
  UPDATE slots SET booked = booked + $2::int, updated_at = now()
  WHERE id = $1::int AND booked + $2::int <= capacity - CASE WHEN $3::boolean THEN 0 ELSE reserved_capacity END
  RETURNING id`;

/**
 * Takes `people` places in a slot or throws slot_full. The web may not use the places held
 * back for staff (heldBack: whether this booker may). The slot row is the hot lock in a storm:
 * commands take places last, so it is held only until COMMIT.
 */
export async function takePlaces(tx: SqlTx, slotId: number, people: number, options: { heldBack: boolean; now: Date }): Promise<void> {
  if (people <= 0) return;
  await takeOrRelease(tx, slotId, options.now, () => tx.query(TAKE_PLACES, [slotId, people, options.heldBack]));
}

/**
 * Runs `take` (a guarded statement that returns a row when it got its places); when the places
 * are not there, gives back the slot's holds that ran out and tries once more, else slot_full.
 */
export async function takeOrRelease(tx: SqlTx, slotId: number, now: Date, take: () => Promise<unknown[]>): Promise<void> {
  for (;;) {
    if ((await take()).length === 1) return;
    if ((await releaseExpiredHoldsOfSlot(tx, slotId, now)) === 0) throw new BookingError('slot_full');
  }
}

const RELEASE_EXPIRED_OF_SLOT = `
  WITH gone AS (DELETE FROM slot_holds WHERE slot_id = $1::int AND expires_at <= $2::timestamptz RETURNING people)
  SELECT coalesce(sum(people), 0)::int AS people FROM gone`;

/** Deletes a slot's expired holds and gives their places back; how many. */
async function releaseExpiredHoldsOfSlot(tx: SqlTx, slotId: number, now: Date): Promise<number> {
  const [released] = await tx.query<{ people: number }>(RELEASE_EXPIRED_OF_SLOT, [slotId, now]);
  await returnPlaces(tx, slotId, released.people);
  return released.people;
}

export async function returnPlaces(tx: SqlTx, slotId: number, people: number): Promise<void> {
  if (people <= 0) return;
  await tx.query(`UPDATE slots SET booked = booked - $2::int, updated_at = now() WHERE id = $1::int`, [slotId, people]);
}

/** A hold removed from slot_holds: its places still count in slots.booked until settled. */
export interface HeldPlace {
  id: number;
  slotId: number;
  people: number;
  live: boolean;
  procedureCode: string;
}

/** Removes every hold of these people (the caller settles their places). */
export async function takeHoldsOf(tx: SqlTx, people: Person[], now: Date): Promise<HeldPlace[]> {
  return tx.query<HeldPlace>(
    `DELETE FROM slot_holds WHERE card_holder_id = ANY($1::int[]) OR applicant_id = ANY($3::int[])
     RETURNING id, slot_id AS "slotId", people, expires_at > $2::timestamptz AS live, procedure_code AS "procedureCode"`,
    [holderIdsOf(people), now, applicantIdsOf(people)],
  );
}

/** Gives back the places of removed holds, except live ones in `keepSlotId`; returns those kept (the credit). */
export async function settleHolds(tx: SqlTx, holds: HeldPlace[], keepSlotId?: number): Promise<number> {
  const kept = (hold: HeldPlace) => hold.live && hold.slotId === keepSlotId;
  await Promise.all(holds.filter((hold) => !kept(hold)).map((hold) => returnPlaces(tx, hold.slotId, hold.people)));
  return holds.filter(kept).reduce((credit, hold) => credit + hold.people, 0);
}
