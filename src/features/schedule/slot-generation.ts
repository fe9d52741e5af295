// Materialises the timetables as slot rows for a date range. A slot is never deleted while any
// booking row points at it, and never shrunk below what is booked: where the rules want less
// than the bookings allow, the slot keeps its booked places and a SlotConflict is listed for staff.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import { addDays, dateColumn, isoDateOfColumn, jstInstant, type IsoDate } from '../../lib/jst.js';
import { planRange, type CounterTimetable } from './calendar.js';
import { policyFromRows } from './policy.js';

/** Days beyond the furthest booking window for which slots already exist (so opening is instant). */
export const HORIZON_MARGIN_DAYS = 14;
const BATCH = 5000;
const REGENERATION_LOCK = 7_320_003;

export interface PlannedSlot {
  counterId: number;
  date: IsoDate;
  startMinute: number;
  endMinute: number;
  capacity: number;
  reservedCapacity: number;
}

export interface RegenerationResult {
  written: number;
  conflicts: number;
}

// Each timetable as one JSON value in the shape of CounterTimetable (rules, closures, overrides),
// so loading it is one round trip: it is read on the booking path (hold, book) as well.
const PERIOD_FIELDS = `'label', p.label, 'startMinute', p.start_minute, 'endMinute', p.end_minute,
  'breakStartMinute', p.break_start_minute, 'breakEndMinute', p.break_end_minute, 'slotMinutes', p.slot_minutes,
  'capacityPerSlot', p.capacity_per_slot, 'peoplePerWindow', p.people_per_window, 'reservedCapacity', p.reserved_capacity`;
const TIMETABLE_OF_C = `json_build_object(
    'counterId', c.id, 'windows', c.windows,
    'rules', CASE WHEN c.retired_at IS NULL THEN coalesce((
      SELECT json_agg(json_build_object('id', p.id, ${PERIOD_FIELDS}, 'daysOfWeek', p.days_of_week,
               'validFrom', p.valid_from::text, 'validTo', p.valid_to::text, 'openOnHolidays', p.open_on_holidays) ORDER BY p.id)
      FROM opening_rules p WHERE p.counter_id = c.id), '[]') ELSE '[]' END,
    'closures', coalesce((
      SELECT json_agg(json_build_object('label', x.label, 'params', jsonb_build_object('kind', x.kind::text) || x.params::jsonb) ORDER BY x.counter_id NULLS FIRST, x.id)
      FROM closures x WHERE x.counter_id IS NULL OR x.counter_id = c.id), '[]'),
    'overrides', CASE WHEN c.retired_at IS NULL THEN coalesce((
      SELECT json_agg(json_build_object('id', p.id, ${PERIOD_FIELDS}, 'date', p.date::text, 'kind', p.kind::text) ORDER BY p.id)
      FROM date_overrides p WHERE p.counter_id = c.id), '[]') ELSE '[]' END
  )::text`;
const TIMETABLES = `SELECT ${TIMETABLE_OF_C} AS timetable FROM counters c`;

/** A subselect giving the timetable of the counter `counterIdColumn` as JSON text (CounterTimetable), for statements that need it with other rows. */
export const timetableJson = (counterIdColumn: string) =>
  // The wanted id is taken in a subquery of its own, so an outer alias `c` is not shadowed by this one's.
  `(SELECT ${TIMETABLE_OF_C} FROM (SELECT ${counterIdColumn} AS id) AS wanted JOIN counters c ON c.id = wanted.id)`;

/** Every counter's timetable, or those named (retired counters get an empty one, so their future slots go). */
export async function loadTimetables(db: DbTx, counterIds?: number[]): Promise<CounterTimetable[]> {
  const rows = counterIds
    ? await db.$queryRawUnsafe<{ timetable: string }[]>(`${TIMETABLES} WHERE c.id = ANY($1::int[]) ORDER BY c.display_order, c.id`, counterIds)
    : await db.$queryRawUnsafe<{ timetable: string }[]>(`${TIMETABLES} ORDER BY c.display_order, c.id`);
  return rows.map((row) => JSON.parse(row.timetable) as CounterTimetable);
}

export function planSlots(timetables: CounterTimetable[], from: IsoDate, to: IsoDate): PlannedSlot[] {
  return timetables.flatMap((timetable) => planRange(timetable, from, to).flatMap((day) => day.slots.map((slot) => ({ counterId: timetable.counterId, date: day.date, ...slot }))));
}

async function upsertSlots(db: DbTx, slots: PlannedSlot[]): Promise<number> {
  let written = 0;
  for (let index = 0; index < slots.length; index += BATCH) {
    const batch = slots.slice(index, index + BATCH);
    written += await db.$executeRaw`
      INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, reserved_capacity, updated_at)
      SELECT *, now() FROM unnest(
        ${batch.map((slot) => slot.counterId)}::int[],
        ${batch.map((slot) => dateColumn(slot.date))}::date[],
        ${batch.map((slot) => jstInstant(slot.date, slot.startMinute))}::timestamptz[],
        ${batch.map((slot) => jstInstant(slot.date, slot.endMinute))}::timestamptz[],
        ${batch.map((slot) => slot.capacity)}::int[],
        ${batch.map((slot) => slot.reservedCapacity)}::int[])
      ON CONFLICT (counter_id, starts_at) DO UPDATE
        SET capacity = GREATEST(EXCLUDED.capacity, slots.booked),
            reserved_capacity = LEAST(EXCLUDED.reserved_capacity, GREATEST(EXCLUDED.capacity, slots.booked)),
            ends_at = EXCLUDED.ends_at,
            updated_at = now()
        WHERE (slots.capacity, slots.reserved_capacity, slots.ends_at)
          IS DISTINCT FROM (GREATEST(EXCLUDED.capacity, slots.booked), LEAST(EXCLUDED.reserved_capacity, GREATEST(EXCLUDED.capacity, slots.booked)), EXCLUDED.ends_at)`;
  }
  return written;
}

interface Scope {
  counterIds: number[];
  from: IsoDate;
  to: IsoDate;
  plannedCounters: number[];
  plannedStarts: Date[];
  plannedCapacities: number[];
}

/**
 * Slots the rules no longer have: deleted when nobody ever booked them; otherwise closed to new
 * bookings (capacity = booked). Guarded in SQL so a booking committed meanwhile is respected.
 */
async function retireUnplannedSlots(db: DbTx, scope: Scope): Promise<number> {
  const unplanned = (alias: string) => `NOT EXISTS (SELECT 1 FROM unnest($4::int[], $5::timestamptz[]) AS p(counter_id, starts_at)
      WHERE p.counter_id = ${alias}.counter_id AND p.starts_at = ${alias}.starts_at)`;
  const base = `counter_id = ANY($1::int[]) AND date BETWEEN $2::date AND $3::date`;
  const params = [scope.counterIds, dateColumn(scope.from), dateColumn(scope.to), scope.plannedCounters, scope.plannedStarts];
  const deleted = await db.$executeRawUnsafe(
    `DELETE FROM slots s WHERE ${base} AND s.booked = 0 AND ${unplanned('s')} AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = s.id)`,
    ...params,
  );
  const closed = await db.$executeRawUnsafe(
    `UPDATE slots s SET capacity = s.booked, reserved_capacity = 0, updated_at = now()
      WHERE ${base} AND ${unplanned('s')} AND (s.capacity <> s.booked OR s.reserved_capacity <> 0)`,
    ...params,
  );
  return deleted + closed;
}

/** Lists slots whose bookings exceed what the rules now give; closes conflicts that went away. */
async function recordConflicts(db: DbTx, scope: Scope): Promise<number> {
  const found = await db.$queryRaw<{ slot_id: number }[]>`
    WITH planned AS (
      SELECT * FROM unnest(${scope.plannedCounters}::int[], ${scope.plannedStarts}::timestamptz[], ${scope.plannedCapacities}::int[]) AS p(counter_id, starts_at, capacity)
    ), found AS (
      SELECT s.id, s.counter_id, s.starts_at,
             (CASE WHEN p.counter_id IS NULL THEN 'removed' ELSE 'shrunk' END)::slot_conflict_kind AS kind,
             COALESCE(p.capacity, 0) AS planned_capacity, s.booked
        FROM slots s LEFT JOIN planned p ON p.counter_id = s.counter_id AND p.starts_at = s.starts_at
       WHERE s.counter_id = ANY(${scope.counterIds}::int[]) AND s.date BETWEEN ${dateColumn(scope.from)}::date AND ${dateColumn(scope.to)}::date
         AND s.booked > COALESCE(p.capacity, 0)
    )
    INSERT INTO slot_conflicts (slot_id, counter_id, starts_at, kind, planned_capacity, booked)
    SELECT * FROM found
    ON CONFLICT (slot_id) DO UPDATE
      SET kind = EXCLUDED.kind, planned_capacity = EXCLUDED.planned_capacity, booked = EXCLUDED.booked,
          detected_at = CASE WHEN slot_conflicts.resolved_at IS NULL THEN slot_conflicts.detected_at ELSE now() END,
          resolved_at = NULL
    RETURNING slot_id`;
  await db.$executeRaw`
    UPDATE slot_conflicts SET resolved_at = now()
     WHERE resolved_at IS NULL AND counter_id = ANY(${scope.counterIds}::int[])
       AND starts_at >= ${jstInstant(scope.from)} AND starts_at < ${jstInstant(addDays(scope.to, 1))}
       AND NOT (slot_id = ANY(${found.map((row) => row.slot_id)}::int[]))`;
  return found.length;
}

/**
 * Serialises timetable changes and slot regenerations. A change takes it before its first row
 * lock (applyChange), so two changes at the same moment queue instead of deadlocking.
 */
export async function lockTimetables(tx: Tx): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [REGENERATION_LOCK]);
}

/**
 * Brings the slots of some counters (default: all) for [from, to] in line with their timetables.
 * Call inside a transaction: the advisory lock keeps two regenerations from interleaving.
 */
export async function regenerateSlots(tx: Tx, from: IsoDate, to: IsoDate, counterIds?: number[]): Promise<RegenerationResult> {
  await lockTimetables(tx);
  const { db } = tx;
  const timetables = await loadTimetables(db, counterIds);
  const planned = planSlots(timetables, from, to);
  const scope: Scope = {
    counterIds: timetables.map((timetable) => timetable.counterId),
    from,
    to,
    plannedCounters: planned.map((slot) => slot.counterId),
    plannedStarts: planned.map((slot) => jstInstant(slot.date, slot.startMinute)),
    plannedCapacities: planned.map((slot) => slot.capacity),
  };
  const written = (await upsertSlots(db, planned)) + (await retireUnplannedSlots(db, scope));
  return { written, conflicts: await recordConflicts(db, scope) };
}

/**
 * The last date slots are kept for (the slot horizon): at least the furthest booking window of
 * any counter plus a margin, so every day a citizen may book has its slots, and further when
 * staff generated slots for a longer range (e.g. the whole fiscal year): the furthest slot then
 * keeps being regenerated after every change.
 */
export async function horizonEnd(db: DbTx, today: IsoDate): Promise<IsoDate> {
  const counters = await db.counter.findMany({ where: { retiredAt: null }, select: { id: true } });
  const policies = await db.bookingPolicy.findMany();
  const windows = counters.map((counter) => policyFromRows(policies, counter.id).opensDaysAhead);
  const windowEnd = addDays(today, Math.max(0, ...windows) + HORIZON_MARGIN_DAYS);
  const furthest = await db.slot.aggregate({ _max: { date: true } });
  const planned = furthest._max.date ? isoDateOfColumn(furthest._max.date) : windowEnd;
  return planned > windowEnd ? planned : windowEnd;
}

/** Every counter's slots for the booking horizon, in the caller's transaction (the nightly job's). */
export async function regenerateHorizon(tx: Tx, today: IsoDate): Promise<RegenerationResult> {
  return regenerateSlots(tx, today, await horizonEnd(tx.db, today));
}

/** After an edit: one counter's slots for the horizon, in the editing transaction. */
export async function regenerateCounter(tx: Tx, counterId: number, today: IsoDate): Promise<RegenerationResult> {
  return regenerateSlots(tx, today, await horizonEnd(tx.db, today), [counterId]);
}
