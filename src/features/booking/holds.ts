// A chosen time is held while the citizen confirms (holdSlot in book.ts). The hold's places
// count in slots.booked, so a confirmed hold can always become a booking; an expired one gives
// its places back.
import { runEndSql } from './runs.js';
import type { Reader } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import { now as clockNow } from '../../lib/clock.js';
import { lockPeople, personOf, releaseHoldsSql, returnPlaces, settleHolds, takeHoldsOf, type PersonRef, type ReleasedPlaces } from './places.js';

/** Releases a citizen's hold at once (they went back, cancelled, or logged out). */
export async function releaseHold(tx: SqlTx, ref: PersonRef): Promise<void> {
  const person = personOf(ref);
  await lockPeople(tx, [person]);
  await settleHolds(tx, await takeHoldsOf(tx, [person], clockNow()));
}

const RELEASE_EXPIRED = releaseHoldsSql(`expires_at <= $1::timestamptz`);

/**
 * Gives back the places of expired holds, in every slot of their runs. Any request or a
 * scheduled job may run it; a hold deleted here cannot also be confirmed (the DELETE decides
 * who gets it). Returns how many people's holds.
 */
export async function releaseExpiredHolds(tx: SqlTx, now = clockNow()): Promise<number> {
  const released = await tx.query<ReleasedPlaces[number]>(RELEASE_EXPIRED, [now]);
  for (const { slotId, people } of released) await returnPlaces(tx, slotId, people);
  return released.reduce((sum, row) => sum + row.first, 0);
}

/** Whether any hold has run out (the common answer, no, costs one index probe and no transaction). */
export async function anyExpiredHold(reader: Reader, now = clockNow()): Promise<boolean> {
  return (await reader.query(`SELECT 1 FROM slot_holds WHERE expires_at <= $1::timestamptz LIMIT 1`, [now])).length > 0;
}

const HELD_SLOT = `
  SELECT h.id, h.slot_id AS "slotId", h.expires_at AS "expiresAt", s.counter_id AS "counterId", s.starts_at AS "startsAt", ${runEndSql('h', 's')} AS "endsAt",
         c.name, c.address, c.access_notes AS "accessNotes", p.code AS "procedureCode", p.name AS "procedureName", p.documents
  FROM slot_holds h JOIN slots s ON s.id = h.slot_id JOIN counters c ON c.id = s.counter_id JOIN procedures p ON p.code = h.procedure_code
  WHERE (h.card_holder_id = $1::int OR h.applicant_id = $3::int) AND h.expires_at > $2::timestamptz`;

/**
 * The citizen's live hold with what the confirm pages show, in one statement (null when none).
 * `id` names this very hold: holding again (in another tab, too) makes a new one.
 */
export async function heldSlot(reader: Reader, ref: PersonRef, now = clockNow()) {
  const person = personOf(ref);
  const [row] = await reader.query<{
    id: number;
    slotId: number;
    expiresAt: Date;
    counterId: number;
    startsAt: Date;
    endsAt: Date;
    name: string;
    address: string;
    accessNotes: string;
    procedureCode: string;
    procedureName: string;
    documents: string[];
  }>(HELD_SLOT, [person.cardHolderId, now, person.applicantId]);
  if (!row) return null;
  return {
    id: row.id,
    slotId: row.slotId,
    expiresAt: row.expiresAt,
    procedure: { code: row.procedureCode, name: row.procedureName, documents: row.documents },
    slot: { startsAt: row.startsAt, endsAt: row.endsAt, counter: { id: row.counterId, name: row.name, address: row.address, accessNotes: row.accessNotes } },
  };
}
