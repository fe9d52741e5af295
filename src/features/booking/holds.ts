// A chosen time is held while the citizen confirms. The hold's places count in slots.booked,
// so a confirmed hold can always become a booking; an expired one gives its places back.
import type { Db, DbTx } from '../../db/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { openingDaysOfSlot } from '../schedule/opening-days.js';
import { BookingError } from './errors.js';
import { bookingState, checkLockedHolders, inTransaction, lockHoldersStatement, returnPlaces, settleHoldsWith, takeOrRelease, type HeldPlace } from './places.js';
import { sqlOf, sqlOfTx, sqlTransaction } from './sql.js';
import { bookingWindowProblem } from './window.js';

export type { HeldPlace } from './places.js';

/** Removes every hold of these card holders and reports them (the caller settles their places). */
export async function takeHoldsOf(tx: DbTx, cardHolderIds: number[], now = clockNow()): Promise<HeldPlace[]> {
  return tx.$queryRaw<HeldPlace[]>`
    DELETE FROM slot_holds WHERE card_holder_id = ANY(${cardHolderIds}::int[])
    RETURNING slot_id AS "slotId", people, expires_at > ${now}::timestamptz AS live`;
}

/** Gives back the places of removed holds, except those credited to `keepSlotId`; returns the credit. */
export async function settleHolds(tx: DbTx, holds: HeldPlace[], keepSlotId?: number): Promise<number> {
  return settleHoldsWith(sqlOfTx(tx), holds, keepSlotId);
}

export interface HoldSlotInput {
  slotId: number;
  cardHolderId: number;
  minutes: number;
  now?: Date;
}

/**
 * Holds one place in a slot for a citizen (replacing any hold they had). After reading the
 * counter's opening days (for the deadline), three round trips:
 * BEGIN with the card holder's lock; the checks, slot and policy with the old hold removed; the
 * guarded UPDATE of the slot with the new hold (the slot row, the hot lock in a storm, is taken
 * last so it is held only until COMMIT).
 */
export async function holdSlot(db: Db | DbTx, input: HoldSlotInput): Promise<{ expiresAt: Date }> {
  const ids = [input.cardHolderId];
  const isOpeningDay = await openingDaysOfSlot(db, input.slotId);
  return sqlTransaction(db, async (sql, holders) => {
    checkLockedHolders(holders, ids);
    const now = input.now ?? clockNow();
    const state = await bookingState(sql, ids, input.slotId, now);
    await settleHoldsWith(sql, state.holds);
    const problem = bookingWindowProblem(state.slot.startsAt, state.policy, now, isOpeningDay);
    if (problem) throw new BookingError(problem);
    const expiresAt = new Date(now.getTime() + input.minutes * 60_000);
    await takeOrRelease(sql, input.slotId, now, () =>
      sql.query(
        `WITH taken AS (UPDATE slots SET booked = booked + 1, updated_at = now()
                        WHERE id = $1::int AND booked + 1 <= capacity - reserved_capacity RETURNING id)
         INSERT INTO slot_holds (slot_id, card_holder_id, people, expires_at) SELECT id, $2::int, 1, $3::timestamptz FROM taken RETURNING id`,
        [input.slotId, input.cardHolderId, expiresAt],
      ),
    );
    return { expiresAt };
  }, lockHoldersStatement(ids));
}

/** Releases a citizen's hold at once (they went back, cancelled, or logged out). */
export async function releaseHold(db: Db | DbTx, cardHolderId: number): Promise<void> {
  await inTransaction(db, async (tx) => settleHolds(tx, await takeHoldsOf(tx, [cardHolderId])));
}

/**
 * The citizen's live hold with what the confirm pages show, in one statement (null when none).
 * `id` names this very hold: holding again (in another tab, too) makes a new one.
 */
export async function heldSlot(db: Db | DbTx, cardHolderId: number, now = clockNow()) {
  const [row] = await sqlOf(db).query<{ id: number; slotId: number; people: number; expiresAt: Date; startsAt: Date; endsAt: Date; name: string; address: string; accessNotes: string }>(
    `SELECT h.id, h.slot_id AS "slotId", h.people, h.expires_at AS "expiresAt", s.starts_at AS "startsAt", s.ends_at AS "endsAt",
            c.name, c.address, c.access_notes AS "accessNotes"
     FROM slot_holds h JOIN slots s ON s.id = h.slot_id JOIN counters c ON c.id = s.counter_id
     WHERE h.card_holder_id = $1::int AND h.expires_at > $2::timestamptz`,
    [cardHolderId, now],
  );
  if (!row) return null;
  return { id: row.id, slotId: row.slotId, expiresAt: row.expiresAt, slot: { startsAt: row.startsAt, endsAt: row.endsAt, counter: { name: row.name, address: row.address, accessNotes: row.accessNotes } } };
}

export async function currentHold(db: Db | DbTx, cardHolderId: number) {
  return db.slotHold.findFirst({ where: { cardHolderId, expiresAt: { gt: clockNow() } }, include: { slot: { include: { counter: true } } } });
}

/**
 * Gives back the places of expired holds. Any request or a scheduled job may run it; a hold
 * deleted here cannot also be confirmed (the DELETE decides who gets it). Returns how many.
 */
export async function releaseExpiredHolds(db: Db | DbTx, now = clockNow()): Promise<number> {
  const [any] = await db.$queryRaw<unknown[]>`SELECT 1 FROM slot_holds WHERE expires_at <= ${now}::timestamptz LIMIT 1`;
  if (!any) return 0; // the common case costs one index probe
  return inTransaction(db, async (tx) => {
    const released = await tx.$queryRaw<{ slotId: number; people: number }[]>`
      WITH gone AS (DELETE FROM slot_holds WHERE expires_at <= ${now}::timestamptz RETURNING slot_id, people)
      SELECT slot_id AS "slotId", sum(people)::int AS people FROM gone GROUP BY slot_id ORDER BY slot_id`;
    for (const { slotId, people } of released) await returnPlaces(tx, slotId, people);
    return released.reduce((sum, row) => sum + row.people, 0);
  });
}
