// The booking transaction itself, without HTTP: many citizens book the same few days at once
// through the booking module's bookSlot (the same audit, card history and outbox rows as the
// app writes), next to the physical limit of this machine: a minimal booking transaction
// (guarded UPDATE of the slot + INSERT booking + INSERT outbox row) straight on PostgreSQL.
//
//   npx tsx bench/booking-core.ts        (embedded PostgreSQL in a temp dir)
// Knobs: BENCH_CITIZENS (1500), BENCH_CONCURRENCY (500), BENCH_CONNECTIONS (40), BENCH_DAYS (3),
//        BENCH_SLOT_CAPACITY (12)
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { connectDatabase, type Database } from '../src/db/client.js';
import { transaction } from '../src/db/transaction.js';
import { BOOKING_TRANSACTION, bookSlot, BookingError } from '../src/features/booking/index.js';
import { birthKey } from '../src/features/citizen/birth-key.js';
import { newBookingCode } from '../src/features/booking/code.js';
import { addDays, dateColumn, jstInstant, todayInJapan } from '../src/lib/jst.js';
import { benchDatabase } from './support.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const CORE_BENCH = {
  citizens: num('BENCH_CITIZENS', 1500),
  concurrency: num('BENCH_CONCURRENCY', 500),
  connections: num('BENCH_CONNECTIONS', 40),
  days: num('BENCH_DAYS', 3),
  capacity: num('BENCH_SLOT_CAPACITY', 12),
};
const MAX_TRIES = 5;
const PEPPER = 'bench-birth-pepper-0123456789abcdef012345';

export interface CoreScenario {
  counterId: number;
  slotIds: number[];
  citizens: number[];
}

/** A counter with DAYS x 32 slots of CAPACITY places from `firstDay`, and CITIZENS card holders. */
export async function seedCoreScenario(client: pg.Client, firstDay: string, label: string, citizens = CORE_BENCH.citizens): Promise<CoreScenario> {
  const counter = await client.query(`INSERT INTO counters (code, name, address, updated_at) VALUES ($1, $2, '中央区本町1-1-1', now()) RETURNING id`, [
    `bench-${label}`,
    `ベンチ交付センター ${label}`,
  ]);
  const counterId = counter.rows[0].id as number;
  await client.query(`INSERT INTO counter_procedures (counter_id, procedure_code) VALUES ($1, 'pickup')`, [counterId]);
  const starts: Date[] = [];
  const dates: Date[] = [];
  for (let d = 0; d < CORE_BENCH.days; d += 1) {
    const day = addDays(firstDay, d);
    for (let minute = 9 * 60; minute < 17 * 60; minute += 15) {
      starts.push(jstInstant(day, minute));
      dates.push(dateColumn(day));
    }
  }
  const slots = await client.query(
    `INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, updated_at)
     SELECT $1, d, s, s + interval '15 minutes', $2, now() FROM unnest($3::date[], $4::timestamptz[]) AS t(d, s) RETURNING id`,
    [counterId, CORE_BENCH.capacity, dates, starts],
  );
  const prefix = String(counterId).padStart(4, '0');
  const noticeIds = Array.from({ length: citizens }, (_, i) => `${prefix}${String(i).padStart(12, '0')}`);
  const holders = await client.query(
    `INSERT INTO card_holders (notice_id, birth_key, status, counter_id, updated_at)
     SELECT n, k, 'notice_sent', $3, now() FROM unnest($1::text[], $2::text[]) AS t(n, k) RETURNING id`,
    [noticeIds, noticeIds.map((id) => birthKey(PEPPER, id, '0401')), counterId],
  );
  return { counterId, slotIds: slots.rows.map((row) => row.id as number), citizens: holders.rows.map((row) => row.id as number) };
}

export async function runPool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

/** Every citizen books through bookSlot as the citizen pages run it (BOOKING_TRANSACTION; a full slot: another try); bookings/s and app CPU per booking. */
export async function bookingCommandRate(db: Database, scenario: CoreScenario) {
  let booked = 0;
  let last = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await runPool(scenario.citizens, CORE_BENCH.concurrency, async (cardHolderId) => {
    for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
      try {
        await transaction(
          db,
          { type: 'citizen', id: String(cardHolderId) },
          (tx) =>
            bookSlot(tx, {
              slotId: pick(scenario.slotIds),
              cardHolderIds: [cardHolderId],
              channel: 'web',
              email: `c${cardHolderId}@example.jp`,
              by: null,
              baseUrl: 'http://127.0.0.1',
            }),
          BOOKING_TRANSACTION,
        );
        booked += 1;
        last = performance.now();
        return;
      } catch (error) {
        if (!(error instanceof BookingError && error.code === 'slot_full')) throw error;
      }
    }
  });
  const used = process.cpuUsage(cpu);
  return { booked, perSecond: booked / ((last - started) / 1000), appCpuMs: (used.user + used.system) / 1000 / booked };
}

const MINIMAL = {
  take: `UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked + 1 <= capacity - reserved_capacity`,
  insert: `INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, email, created_by, updated_at)
           VALUES ($1, $2, $3, $1, 'active', 'web', $4, $5, now()) RETURNING id`,
  outbox: `INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, booking_id) VALUES ($1, 'booking.confirmation', $2, '予約完了', '本文', $3)`,
};

/** The physical limit: the smallest transaction that still books (guarded UPDATE, booking row, outbox row). */
export async function minimalTransactionRate(url: string, scenario: CoreScenario) {
  const pool = new pg.Pool({ connectionString: url, max: CORE_BENCH.connections });
  let booked = 0;
  let last = 0;
  const started = performance.now();
  await runPool(scenario.citizens, CORE_BENCH.concurrency, async (cardHolderId) => {
    const client = await pool.connect();
    try {
      for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
        const slotId = pick(scenario.slotIds);
        await client.query('BEGIN');
        if ((await client.query({ name: 'take', text: MINIMAL.take, values: [slotId] })).rowCount !== 1) {
          await client.query('ROLLBACK');
          continue;
        }
        const code = newBookingCode();
        const inserted = await client.query({
          name: 'insert',
          text: MINIMAL.insert,
          values: [code, slotId, cardHolderId, `c${cardHolderId}@example.jp`, `citizen:${cardHolderId}`],
        });
        await client.query({ name: 'outbox', text: MINIMAL.outbox, values: [`booking:${code}:confirmation:new`, `c${cardHolderId}@example.jp`, inserted.rows[0].id] });
        await client.query('COMMIT');
        booked += 1;
        last = performance.now();
        return;
      }
    } finally {
      client.release();
    }
  });
  await pool.end();
  return { booked, perSecond: booked / ((last - started) / 1000) };
}

/** Slots whose counter disagrees with its bookings and holds, or that hold more than their capacity. */
export async function overbooked(client: pg.Client, counterId: number): Promise<{ overbooked: number; mismatched: number; booked: number }> {
  const result = await client.query(
    `SELECT count(*) FILTER (WHERE active > capacity OR booked > capacity)::int AS overbooked,
            count(*) FILTER (WHERE active + held <> booked)::int AS mismatched, coalesce(sum(active), 0)::int AS booked
     FROM (SELECT s.capacity, s.booked,
             (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('active', 'checked_in')) AS active,
             (SELECT coalesce(sum(people), 0) FROM slot_holds h WHERE h.slot_id = s.id) AS held
           FROM slots s WHERE s.counter_id = $1) AS per_slot`,
    [counterId],
  );
  return result.rows[0];
}

async function main(): Promise<void> {
  const { url, stop } = await benchDatabase('booking-core');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const first = addDays(todayInJapan(), 7);
  const minimalScenario = await seedCoreScenario(client, first, 'minimal');
  const coreScenario = await seedCoreScenario(client, addDays(first, 7), 'core');
  const places = CORE_BENCH.days * 32 * CORE_BENCH.capacity;
  console.log(`booking core: ${CORE_BENCH.citizens} citizens, ${CORE_BENCH.concurrency} at once, ${CORE_BENCH.connections} connections, ${places} places per run`);
  const db = connectDatabase(url, CORE_BENCH.connections);
  // Warm up: prepared statements and Prisma's first queries.
  const warm = await seedCoreScenario(client, addDays(first, 21), 'warm', 50);
  await bookingCommandRate(db, warm);
  const minimal = await minimalTransactionRate(url, minimalScenario);
  const core = await bookingCommandRate(db, coreScenario);
  const check = await overbooked(client, coreScenario.counterId);
  console.log(`minimal transaction (physical limit): ${minimal.perSecond.toFixed(0)} bookings/s (${minimal.booked} booked)`);
  console.log(
    `bookSlot transaction: ${core.perSecond.toFixed(0)} bookings/s (${core.booked} booked), app CPU ${core.appCpuMs.toFixed(2)} ms per booking, ratio to the limit ${(core.perSecond / minimal.perSecond).toFixed(2)}`,
  );
  console.log(`overbooked slots: ${check.overbooked}, slots whose counter disagrees with bookings + holds: ${check.mismatched}`);
  await db.close();
  await client.end();
  await stop();
  if (check.overbooked > 0 || check.mismatched > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
