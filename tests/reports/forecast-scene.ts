// A known scene for the forecast tests: two counters with cards imported in known weeks, slots
// with known capacity and bookings, and one card of no counter. "Now" is Monday 2027-01-18.
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import { jstInstant, type IsoDate } from '../../src/lib/jst.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';

export const MONDAY = '2027-01-18';

/** A card registered at an instant (Japan time), at a counter (or none), with a status. */
async function card(db: Database, counterId: number | undefined, at: Date, status: 'notice_sent' | 'card_arrived' | 'handed_over' | 'data_received' = 'notice_sent') {
  const { holder } = await createCardHolder(db, { counterId, status });
  await db.query('UPDATE card_holders SET created_at = $2 WHERE id = $1', [holder.id, at]);
  return holder;
}

async function cards(db: Database, counterId: number | undefined, date: IsoDate, count: number, minute = 600) {
  for (let index = 0; index < count; index++) await card(db, counterId, jstInstant(date, minute), 'handed_over');
}

async function book(db: Database, slotId: number, cardHolderId: number) {
  await db.query(`INSERT INTO bookings (code, slot_id, card_holder_id, status, channel, created_by, updated_at) VALUES ($1, $2, $3, 'active', 'phone', 'system:test', now())`, [
    `T${randomBytes(5).toString('hex')}`,
    slotId,
    cardHolderId,
  ]);
  await db.query('UPDATE slots SET booked = booked + 1 WHERE id = $1', [slotId]);
  await db.query(`UPDATE card_holders SET status = 'booked' WHERE id = $1`, [cardHolderId]);
}

export interface ForecastScene {
  a: { id: number; name: string };
  b: { id: number; name: string };
}

/**
 * Counter A: 15 cards in the week of 2027-01-11 (one of them on Sunday 23:45 JST), 1 in the week of
 * 2026-12-28 (so a mean of 2 a week), 1 card on Monday 2027-01-18 00:15 JST (this week; still a
 * Sunday in UTC); waiting: 2 cards (that Monday card and one more), plus a booked card and a handed-over
 * one that do not wait. Places: Monday 09:00 (before now: 0), Tuesday 5 with 1 booked (4),
 * Sunday 2027-01-24 22:00 JST 2 (2), the week of 01-25 3 with 1 held back (3), 2027-03-15 (past the 8 weeks).
 * Counter B: 1 card in the week of 2027-01-04 and 1 waiting since the week of 2026-11-30 (a mean of 0), no slots.
 * No counter: 1 waiting card (also of the week of 2026-11-30).
 */
export async function forecastScene(db: Database): Promise<ForecastScene> {
  const a = await createCounter(db, { name: '本庁舎窓口' });
  const b = await createCounter(db, { name: '北支所窓口' });
  await cards(db, a.id, '2027-01-12', 14);
  await card(db, a.id, jstInstant('2027-01-17', 23 * 60 + 45), 'handed_over');
  await cards(db, a.id, '2026-12-30', 1);
  await card(db, a.id, jstInstant(MONDAY, 15));
  await card(db, a.id, jstInstant('2026-10-01', 600), 'card_arrived');
  const booked = await card(db, a.id, jstInstant('2026-10-01', 600));
  await createSlot(db, { counterId: a.id, date: MONDAY, startMinute: 9 * 60, capacity: 9 });
  const tuesday = await createSlot(db, { counterId: a.id, date: '2027-01-19', capacity: 5 });
  await book(db, tuesday.id, booked.id);
  await createSlot(db, { counterId: a.id, date: '2027-01-24', startMinute: 22 * 60, capacity: 2 });
  await createSlot(db, { counterId: a.id, date: '2027-01-26', capacity: 3, reservedCapacity: 1 });
  await createSlot(db, { counterId: a.id, date: '2027-03-15', capacity: 50 });
  await cards(db, b.id, '2027-01-06', 1);
  await card(db, b.id, jstInstant('2026-12-01', 600));
  await card(db, undefined, jstInstant('2026-12-01', 600), 'card_arrived');
  return { a: { id: a.id, name: a.name }, b: { id: b.id, name: b.name } };
}
