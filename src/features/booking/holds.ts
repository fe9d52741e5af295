// A chosen time is held while the citizen confirms. The hold's places count in slots.booked,
// so a confirmed hold can always become a booking; an expired one gives its places back.
import type { Db, DbTx } from '../../db/client.js';
import { effectivePolicy } from '../schedule/policy.js';
import { BookingError } from './errors.js';
import { checkCardHolders, inTransaction, returnPlaces, takePlaces } from './places.js';
import { bookingWindowProblem } from './window.js';

export interface HeldPlace {
  slotId: number;
  people: number;
  live: boolean;
}

/** Removes every hold of these card holders and reports them (the caller settles their places). */
export async function takeHoldsOf(tx: DbTx, cardHolderIds: number[]): Promise<HeldPlace[]> {
  return tx.$queryRaw<HeldPlace[]>`
    DELETE FROM slot_holds WHERE card_holder_id = ANY(${cardHolderIds}::int[])
    RETURNING slot_id AS "slotId", people, expires_at > now() AS live`;
}

/** Gives back the places of removed holds, except those credited to `keepSlotId`; returns the credit. */
export async function settleHolds(tx: DbTx, holds: HeldPlace[], keepSlotId?: number): Promise<number> {
  let credit = 0;
  for (const hold of holds) {
    if (hold.live && hold.slotId === keepSlotId) credit += hold.people;
    else await returnPlaces(tx, hold.slotId, hold.people);
  }
  return credit;
}

export interface HoldSlotInput {
  slotId: number;
  cardHolderId: number;
  minutes: number;
  now?: Date;
}

/** Holds one place in a slot for a citizen (replacing any hold they had). */
export async function holdSlot(db: Db | DbTx, input: HoldSlotInput): Promise<{ expiresAt: Date }> {
  return inTransaction(db, async (tx) => {
    await checkCardHolders(tx, [input.cardHolderId]);
    await settleHolds(tx, await takeHoldsOf(tx, [input.cardHolderId]));
    const slot = await tx.slot.findUnique({ where: { id: input.slotId }, select: { counterId: true, startsAt: true } });
    if (!slot) throw new BookingError('slot_not_found');
    const problem = bookingWindowProblem(slot.startsAt, await effectivePolicy(tx, slot.counterId), input.now);
    if (problem) throw new BookingError(problem);
    const expiresAt = new Date(Date.now() + input.minutes * 60_000);
    await tx.slotHold.create({ data: { slotId: input.slotId, cardHolderId: input.cardHolderId, people: 1, expiresAt } });
    // The slot row is the hot lock in a storm: take it last so it is held only until COMMIT.
    await takePlaces(tx, input.slotId, 1, false);
    return { expiresAt };
  });
}

/** Releases a citizen's hold at once (they went back, cancelled, or logged out). */
export async function releaseHold(db: Db | DbTx, cardHolderId: number): Promise<void> {
  await inTransaction(db, async (tx) => settleHolds(tx, await takeHoldsOf(tx, [cardHolderId])));
}

export async function currentHold(db: Db | DbTx, cardHolderId: number) {
  return db.slotHold.findFirst({ where: { cardHolderId, expiresAt: { gt: new Date() } }, include: { slot: { include: { counter: true } } } });
}

/**
 * Gives back the places of expired holds. Any request or a scheduled job may run it; a hold
 * deleted here cannot also be confirmed (the DELETE decides who gets it). Returns how many.
 */
export async function releaseExpiredHolds(db: Db | DbTx): Promise<number> {
  const [any] = await db.$queryRaw<unknown[]>`SELECT 1 FROM slot_holds WHERE expires_at <= now() LIMIT 1`;
  if (!any) return 0; // the common case costs one index probe
  return inTransaction(db, async (tx) => {
    const released = await tx.$queryRaw<{ slotId: number; people: number }[]>`
      WITH gone AS (DELETE FROM slot_holds WHERE expires_at <= now() RETURNING slot_id, people)
      SELECT slot_id AS "slotId", sum(people)::int AS people FROM gone GROUP BY slot_id ORDER BY slot_id`;
    for (const { slotId, people } of released) await returnPlaces(tx, slotId, people);
    return released.reduce((sum, row) => sum + row.people, 0);
  });
}
