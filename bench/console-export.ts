// Console benchmark: a year of bookings for one busy counter (365 days x 16 slots x 40 people),
// then over HTTP against the real app: the bookings CSV for the whole year (UTF-8 and Shift_JIS),
// timed with peak RSS sampled (the export streams, so memory must stay flat), and the day board
// JSON for a full day (what each console terminal polls every 15 s).
//   npx tsx bench/console-export.ts            (embedded PostgreSQL in a temp dir)
//   BENCH_DATABASE_URL=postgres://... BENCH_DAYS=365 BENCH_CAPACITY=40 npx tsx bench/console-export.ts
import { benchDatabase, logInAsBenchAdmin, serveInProcess } from './support.js';
import { performance } from 'node:perf_hooks';
import { connectDatabase, type Database } from '../src/db/client.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';

const DAYS = Math.min(Number(process.env.BENCH_DAYS ?? 365), 730);
const CAPACITY = Math.min(Number(process.env.BENCH_CAPACITY ?? 40), 200);
const SLOTS_PER_DAY = 16;
const BOARD_RUNS = 20;

/** One counter, a year of full slots, one card holder and one booking per place (set-based SQL). */
async function seed(db: Database, first: string): Promise<{ counterId: number; bookings: number }> {
  const run = (sql: string, ...values: unknown[]) => db.pool.query(sql, values);
  const counter = await run(`INSERT INTO counters (code, name, updated_at) VALUES ('bench-${Date.now()}', 'ベンチ交付センター', now()) RETURNING id`);
  const counterId = counter.rows[0].id as number;
  await run(
    `INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, reserved_capacity, booked, updated_at)
     SELECT $1, d::date, (d::date + make_interval(mins => 540 + 30 * k)) AT TIME ZONE 'Asia/Tokyo',
            (d::date + make_interval(mins => 570 + 30 * k)) AT TIME ZONE 'Asia/Tokyo', $2, 0, $2, now()
     FROM generate_series($3::date, $3::date + ($4 - 1), interval '1 day') d, generate_series(0, $5 - 1) k`,
    counterId,
    CAPACITY,
    first,
    DAYS,
    SLOTS_PER_DAY,
  );
  await run(
    `WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM slots WHERE counter_id = $1),
          places AS (SELECT numbered.id AS slot_id, (numbered.rn - 1) * $2 + p AS n FROM numbered, generate_series(1, $2) p),
          holders AS (
            INSERT INTO card_holders (notice_id, birth_key, name, name_kana, counter_id, storage_place, status, updated_at)
            SELECT lpad(n::text, 16, '0'), 'bench', '髙﨑 太郎' || n, 'タカサキ タロウ', $1, '金庫' || (n % 50), 'booked', now() FROM places
            RETURNING id, notice_id)
     INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, email, created_by, updated_at)
     SELECT 'B' || lpad(places.n::text, 9, '0'), places.slot_id, holders.id, 'B' || lpad(places.n::text, 9, '0'), 'active', 'web', 'c' || places.n || '@example.jp', 'bench', now()
     FROM places JOIN holders ON holders.notice_id = lpad(places.n::text, 16, '0')`,
    counterId,
    CAPACITY,
  );
  const count = await run('SELECT count(*)::int AS n FROM bookings');
  return { counterId, bookings: count.rows[0].n as number };
}

/** Streams a response to nowhere, sampling RSS every 10 ms; returns bytes, seconds and peak RSS. */
async function download(url: string, cookie: string) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const started = performance.now();
  const response = await fetch(url, { headers: { cookie } });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines += 1;
  }
  clearInterval(timer);
  return { status: response.status, bytes, lines, seconds: (performance.now() - started) / 1000, peakMiB: Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024 };
}

async function main() {
  const { url, stop } = await benchDatabase('console');
  const db = connectDatabase(url, 10);
  const first = addDays(todayInJapan(), -Math.floor(DAYS / 2));
  const seeded = performance.now();
  const { counterId, bookings } = await seed(db, first);
  console.log(`seeded ${bookings.toLocaleString()} bookings (${DAYS} days x ${SLOTS_PER_DAY} slots x ${CAPACITY}) in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
  const { server, base } = await serveInProcess(url, db);
  try {
    const cookie = await logInAsBenchAdmin(base, db);
    const last = addDays(first, DAYS - 1);
    console.log(`RSS before exports: ${(process.memoryUsage.rss() / 1024 / 1024).toFixed(0)} MiB`);
    // A month first: if the year's peak RSS is about the month's, memory does not grow with rows.
    for (const [label, to, encoding] of [
      ['month', addDays(first, 29), 'utf8'],
      ['year', last, 'utf8'],
      ['year', last, 'sjis'],
    ]) {
      const result = await download(`${base}/staff/console/export.csv?from=${first}&to=${to}&encoding=${encoding}`, cookie);
      console.log(
        `export ${label} ${encoding}: HTTP ${result.status}, ${(result.lines - 1).toLocaleString()} rows, ${(result.bytes / 1024 / 1024).toFixed(1)} MiB in ${result.seconds.toFixed(1)} s (${Math.round((result.lines - 1) / result.seconds).toLocaleString()} rows/s), peak RSS ${result.peakMiB.toFixed(0)} MiB`,
      );
    }
    const times: number[] = [];
    for (let run = 0; run < BOARD_RUNS; run += 1) {
      const started = performance.now();
      const response = await fetch(`${base}/staff/console/counters/${counterId}/day.json?date=${todayInJapan()}`, { headers: { cookie } });
      await response.json();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(
      `day board JSON (${SLOTS_PER_DAY * CAPACITY} bookings, ${BOARD_RUNS} runs): median ${times[Math.floor(BOARD_RUNS / 2)].toFixed(1)} ms, p95 ${times[Math.floor(BOARD_RUNS * 0.95)].toFixed(1)} ms`,
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    await stop();
  }
}

await main();
