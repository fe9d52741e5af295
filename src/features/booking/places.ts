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
async function lockHolders(tx: SqlTx, ids: number[]): Promise<Map<number, CardStatus>> {
  const rows = await tx.query<{ id: number; status: CardStatus }>(`SELECT id, status FROM card_holders WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE`, [ids]);
  return new Map(rows.map((row) => [row.id, row.status]));
}

/** Locks card holders that are to book: each must exist and be in a bookable status. */
async function lockBookingHolders(tx: SqlTx, ids: number[]): Promise<Map<number, CardStatus>> {
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
async function lockApplicants(tx: SqlTx, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.query(`SELECT id FROM applicants WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE`, [ids]);
  if (rows.length !== new Set(ids).size) throw new BookingError('applicant_not_found');
}

/**
 * Locks the people (card holders, then applicants); the card holders' statuses. People who are
 * `toBook` must exist and, for card holders, be in a bookable status.
 */
export async function lockPeople(tx: SqlTx, people: Person[], options: { toBook?: boolean } = {}): Promise<Map<number, CardStatus>> {
  const holderIds = holderIdsOf(people);
  // Sent together, run in this order: a statement the caller sends right after runs with them locked.
  const [statuses] = await Promise.all([options.toBook ? lockBookingHolders(tx, holderIds) : lockHolders(tx, holderIds), lockApplicants(tx, applicantIdsOf(people))]);
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
 * are not there, gives back the expired holds that cover the slot and tries once more, else
 * slot_full.
 */
export async function takeOrRelease(tx: SqlTx, slotId: number, now: Date, take: () => Promise<unknown[]>): Promise<void> {
  for (;;) {
    if ((await take()).length === 1) return;
    if ((await releaseExpiredHoldsOfSlot(tx, slotId, now)) === 0) throw new BookingError('slot_full');
  }
}

/**
 * Deletes the holds that `condition` names and says, per slot of their runs (in id order), how
 * many places they held there (`first`: of holds that start there).
 */
export const releaseHoldsSql = (condition: string) => `
  WITH gone AS (DELETE FROM slot_holds WHERE ${condition} RETURNING slot_id, also_slot_ids, people)
  SELECT r.id AS "slotId", sum(g.people)::int AS people, coalesce(sum(g.people) FILTER (WHERE r.n = 1), 0)::int AS first
  FROM gone g, unnest(array_prepend(g.slot_id, g.also_slot_ids)) WITH ORDINALITY AS r(id, n) GROUP BY r.id ORDER BY r.id`;

export type ReleasedPlaces = { slotId: number; people: number; first: number }[];

/**
 * The ids of the holds that cover the slot `slotId` and ran out at `now` (SQL): those that start
 * there (by slot_id) and those whose run reaches it from an earlier slot (by the partial index
 * slot_holds_runs_by_expiry, which holds only runs).
 */
export const expiredHoldsCovering = (slotId: string, now: string) => `
  SELECT id FROM slot_holds WHERE slot_id = ${slotId} AND expires_at <= ${now}::timestamptz
  UNION ALL
  SELECT id FROM slot_holds WHERE cardinality(also_slot_ids) > 0 AND expires_at <= ${now}::timestamptz AND ${slotId} = ANY(also_slot_ids)`;

const RELEASE_EXPIRED_OF_SLOT = releaseHoldsSql(`id IN (${expiredHoldsCovering('$1::int', '$2')})`);

/** Deletes the expired holds that cover a slot and gives their places back in every slot of their runs; how many in this slot. */
async function releaseExpiredHoldsOfSlot(tx: SqlTx, slotId: number, now: Date): Promise<number> {
  const released = await tx.query<ReleasedPlaces[number]>(RELEASE_EXPIRED_OF_SLOT, [slotId, now]);
  await returnPlacesIn(tx, placesOfRows(released));
  return released.find((row) => row.slotId === slotId)?.people ?? 0;
}

export async function returnPlaces(tx: SqlTx, slotId: number, people: number): Promise<void> {
  if (people <= 0) return;
  await tx.query(`UPDATE slots SET booked = booked - $2::int, updated_at = now() WHERE id = $1::int`, [slotId, people]);
}

/**
 * The slots a booking or hold takes a place in: `slotId` (the one shown as its time) and the
 * following slots of its run, when its procedure is longer than the slot (runs.ts).
 */
export interface Run {
  slotId: number;
  alsoSlotIds: number[];
}

/** Places per slot, in slot id order (the lock order). */
export type Places = Map<number, number>;

const inIdOrder = (entries: Iterable<[number, number]>): Places => new Map([...entries].sort(([a], [b]) => a - b));
const placesOfRows = (rows: ReleasedPlaces): Places => inIdOrder(rows.map((row) => [row.slotId, row.people]));

/** The places the runs take, per slot: `people` each (1 when not given). */
export function placesOf(runs: (Run & { people?: number })[]): Places {
  const places = new Map<number, number>();
  for (const run of runs) for (const slotId of [run.slotId, ...run.alsoSlotIds]) places.set(slotId, (places.get(slotId) ?? 0) + (run.people ?? 1));
  return inIdOrder(places);
}

/** What changes from `had` to `need`: the places to take and those to give back, per slot. */
export function placesChange(need: Places, had: Places): { take: Places; give: Places } {
  const change = [...new Set([...need.keys(), ...had.keys()])].map((slotId): [number, number] => [slotId, (need.get(slotId) ?? 0) - (had.get(slotId) ?? 0)]);
  return {
    take: inIdOrder(change.filter(([, places]) => places > 0)),
    give: inIdOrder(change.filter(([, places]) => places < 0).map(([slotId, places]) => [slotId, -places])),
  };
}

/** Takes the places slot by slot, in id order (throws slot_full where they are not there). */
export async function takePlacesIn(tx: SqlTx, places: Places, options: { heldBack: boolean; now: Date }): Promise<void> {
  for (const [slotId, people] of places) await takePlaces(tx, slotId, people, options);
}

/** Gives the places back, in slot id order (the statements go out together). */
export async function returnPlacesIn(tx: SqlTx, places: Places): Promise<void> {
  await Promise.all([...places].map(([slotId, people]) => returnPlaces(tx, slotId, people)));
}

/** A hold removed from slot_holds: its places still count in slots.booked until settled. */
export interface HeldPlace extends Run {
  id: number;
  people: number;
  live: boolean;
  procedureCode: string;
}

/** The columns of a removed hold, as HeldPlace (for RETURNING), live at the time in the parameter `now`. */
export const heldPlaceColumns = (now: string) =>
  `id, slot_id AS "slotId", also_slot_ids AS "alsoSlotIds", people, expires_at > ${now}::timestamptz AS live, procedure_code AS "procedureCode"`;

/** Removes every hold of these people (the caller settles their places). */
export async function takeHoldsOf(tx: SqlTx, people: Person[], now: Date): Promise<HeldPlace[]> {
  return tx.query<HeldPlace>(`DELETE FROM slot_holds WHERE card_holder_id = ANY($1::int[]) OR applicant_id = ANY($3::int[]) RETURNING ${heldPlaceColumns('$2')}`, [
    holderIdsOf(people),
    now,
    applicantIdsOf(people),
  ]);
}

/**
 * Gives back the places of removed holds, except live ones that start in `keepSlotId`; returns
 * the places those kept hold, per slot of their runs (the credit of a confirmed hold).
 */
export async function settleHolds(tx: SqlTx, holds: HeldPlace[], keepSlotId?: number): Promise<Places> {
  const kept = (hold: HeldPlace) => hold.live && hold.slotId === keepSlotId;
  await returnPlacesIn(tx, placesOf(holds.filter((hold) => !kept(hold))));
  return placesOf(holds.filter(kept));
}
