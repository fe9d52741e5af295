// Monthly report benchmark (issue 15): the large example city (13 counters, a year of weekday
// slots, about 230,000 bookings with their journal, walk-ins, cards and their history), seeded
// with set-based SQL; then over HTTP against the real app, the month report for all counters,
// timed several times (median), beside two ceilings measured in the same run: a trivial staff
// page, and a plain COUNT of the month's journal rows.
//   npx tsx bench/report-month.ts            (embedded PostgreSQL in a temp dir)
//   BENCH_DATABASE_URL=postgres://... BENCH_DAYS=365 npx tsx bench/report-month.ts
import { benchDatabase, logInAsBenchAdmin, serveInProcess } from './support.js';
import { performance } from 'node:perf_hooks';
import { connectDatabase, type Database } from '../src/db/client.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';

const DAYS = Math.min(Number(process.env.BENCH_DAYS ?? 365), 730);
const COUNTERS = 13;
const SLOTS_PER_DAY = 16;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/** The city: counters, weekday slots, bookings (2 to 7 a slot), their journal, walk-ins and cards. */
async function seed(db: Database, first: string): Promise<Record<string, number>> {
  const run = (sql: string, ...values: unknown[]) => db.pool.query(sql, values);
  await run(
    `INSERT INTO counters (code, name, windows, updated_at)
     SELECT 'bench-' || n, CASE WHEN n = 1 THEN '中央交付センター' ELSE '交付窓口' || n END, CASE WHEN n = 1 THEN 18 ELSE 1 + n % 4 END, now()
       FROM generate_series(1, $1) n`,
    COUNTERS,
  );
  await run(`INSERT INTO counter_procedures (counter_id, procedure_code) SELECT id, 'pickup' FROM counters ON CONFLICT DO NOTHING`);
  await run(
    `INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, reserved_capacity, booked, updated_at)
     SELECT c.id, d::date, (d::date + make_interval(mins => 540 + 30 * k)) AT TIME ZONE 'Asia/Tokyo',
            (d::date + make_interval(mins => 570 + 30 * k)) AT TIME ZONE 'Asia/Tokyo', 8, 0, 0, now()
       FROM counters c, generate_series($1::date, $1::date + ($2 - 1), interval '1 day') d, generate_series(0, $3 - 1) k
      WHERE extract(isodow FROM d) < 6`,
    first,
    DAYS,
    SLOTS_PER_DAY,
  );
  // One card holder per booking. Past visits: mostly handed over, some no-shows and cancelled;
  // future ones active or cancelled. Made 1 to 30 days before the visit.
  await run(
    `WITH places AS (SELECT s.id AS slot_id, s.starts_at, row_number() OVER () AS n FROM slots s, generate_series(1, 2 + s.id % 6) p),
          holders AS (
            INSERT INTO card_holders (notice_id, birth_key, name, counter_id, status, created_at, updated_at)
            SELECT lpad(n::text, 16, '0'), 'bench', '髙﨑 太郎' || n, (SELECT counter_id FROM slots WHERE id = slot_id), 'booked', starts_at - interval '60 days', now() FROM places
            RETURNING id, notice_id)
     INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, created_by, created_at, cancelled_at, updated_at)
     SELECT 'B' || lpad(p.n::text, 9, '0'), p.slot_id, h.id, 'B' || lpad(p.n::text, 9, '0'),
            (CASE WHEN p.n % 14 = 0 THEN 'cancelled' WHEN p.starts_at > now() THEN 'active' WHEN p.n % 12 = 0 THEN 'no_show' WHEN p.n % 25 = 0 THEN 'checked_in' ELSE 'handed_over' END)::booking_status,
            (CASE WHEN p.n % 10 < 7 THEN 'web' WHEN p.n % 10 < 9 THEN 'phone' ELSE 'counter' END)::booking_channel, 'bench',
            p.starts_at - make_interval(days => 1 + (p.n % 30)::int), CASE WHEN p.n % 14 = 0 THEN p.starts_at - interval '12 hours' END, now()
       FROM places p JOIN holders h ON h.notice_id = lpad(p.n::text, 16, '0')`,
  );
  await run(`UPDATE slots s SET booked = b.n FROM (SELECT slot_id, count(*)::int AS n FROM bookings WHERE status <> 'cancelled' GROUP BY slot_id) b WHERE b.slot_id = s.id`);
  await run(`UPDATE card_holders h SET status = CASE b.status WHEN 'handed_over' THEN 'handed_over' WHEN 'active' THEN 'booked' ELSE 'notice_sent' END::card_status
               FROM bookings b WHERE b.card_holder_id = h.id AND b.status <> 'checked_in'`);
  // The journal as the booking commands write it (a twentieth of the bookings moved once, within their day).
  await run(
    `INSERT INTO booking_events (booking_id, kind, occurred_at, day, slot_date, counter_id, procedure_code, channel, from_slot_id)
     SELECT b.id, e.kind::booking_event_kind, e.at, (e.at AT TIME ZONE 'Asia/Tokyo')::date, s.date, s.counter_id, b.procedure_code, b.channel, e.from_slot
       FROM bookings b JOIN slots s ON s.id = b.slot_id
      CROSS JOIN LATERAL (VALUES
        ('booked', b.created_at, true, NULL::int),
        ('moved', b.created_at + interval '1 hour', b.id % 20 = 0, s.id),
        ('cancelled', b.cancelled_at, b.status = 'cancelled', NULL),
        ('checked_in', s.starts_at, b.status IN ('checked_in', 'handed_over'), NULL),
        ('handed_over', s.starts_at + interval '10 minutes', b.status = 'handed_over', NULL),
        ('no_show', s.ends_at, b.status = 'no_show', NULL)) AS e(kind, at, happened, from_slot)
      WHERE e.happened`,
  );
  // Walk-ins: five a counter's working day.
  await run(
    `INSERT INTO tickets (counter_id, date, kind, seq, number, procedure_code, status, token, issued_by, issued_at, finished_at)
     SELECT d.counter_id, d.date, 'walk_in', k, 'B-' || lpad(k::text, 3, '0'), 'pickup', 'served', md5(d.counter_id || '/' || d.date || '/' || k), 'bench', d.date + time '10:00', d.date + time '10:20'
       FROM (SELECT DISTINCT counter_id, date FROM slots) d, generate_series(1, 5) k`,
  );
  // Cards not booked (a tenth returned), and every card's history: imported, then its status now.
  await run(
    `INSERT INTO card_holders (notice_id, birth_key, name, counter_id, status, created_at, updated_at)
     SELECT 'U' || lpad(n::text, 15, '0'), 'bench', '未予約 ' || n, (SELECT id FROM counters ORDER BY id LIMIT 1 OFFSET n % $1),
            CASE WHEN n % 10 = 0 THEN 'returned_undelivered' ELSE 'notice_sent' END::card_status, $2::date + make_interval(days => (n % $3)::int), now()
       FROM generate_series(1, 20000) n`,
    COUNTERS,
    first,
    DAYS,
  );
  await run(
    `INSERT INTO card_status_changes (card_holder_id, from_status, to_status, reason, actor, at)
     SELECT id, NULL::card_status, 'notice_sent'::card_status, '取込', 'bench', created_at FROM card_holders
     UNION ALL
     SELECT id, 'notice_sent'::card_status, status, '', 'bench', created_at + interval '20 days' FROM card_holders WHERE status <> 'notice_sent'`,
  );
  await run('ANALYZE');
  const count = async (table: string) => Number((await run(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  return {
    slots: await count('slots'),
    bookings: await count('bookings'),
    events: await count('booking_events'),
    walkIns: await count('tickets'),
    cards: await count('card_holders'),
    history: await count('card_status_changes'),
  };
}

/** The median of RUNS timings of `work`, in milliseconds (after one warm-up). */
async function median(work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let n = 0; n < RUNS; n++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

async function page(url: string, cookie: string): Promise<number> {
  const response = await fetch(url, { headers: { cookie } });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  return body.length;
}

async function main() {
  const { url, stop } = await benchDatabase('report');
  const db = connectDatabase(url, 10);
  // A year ending two months ahead: the month measured is last month, every day of it past.
  const first = addDays(todayInJapan(), 60 - DAYS);
  const month = addDays(`${todayInJapan().slice(0, 7)}-01`, -1).slice(0, 7);
  const seeded = performance.now();
  const counts = await seed(db, first);
  console.log(
    `seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s: ${Object.entries(counts)
      .map(([name, n]) => `${n.toLocaleString()} ${name}`)
      .join(', ')}`,
  );
  const { server, base } = await serveInProcess(url, db);
  try {
    const cookie = await logInAsBenchAdmin(base, db);
    const [{ n: monthEvents }] = (
      await db.pool.query(`SELECT count(*)::int AS n FROM booking_events WHERE day BETWEEN $1::date AND ($1::date + interval '1 month' - interval '1 day')::date`, [`${month}-01`])
    ).rows;
    const bytes = await page(`${base}/staff/reports?month=${month}`, cookie);
    const report = await median(() => page(`${base}/staff/reports?month=${month}`, cookie));
    const csv = await median(() => page(`${base}/staff/reports/days.csv?month=${month}`, cookie));
    const trivial = await median(() => page(`${base}/staff/password`, cookie));
    const plainCount = await median(() =>
      db.pool.query(`SELECT count(*) FROM booking_events WHERE day BETWEEN $1::date AND ($1::date + interval '1 month' - interval '1 day')::date`, [`${month}-01`]),
    );
    console.log(`month ${month}: ${monthEvents.toLocaleString()} journal rows by day, page ${(bytes / 1024).toFixed(0)} KiB`);
    console.log(`report page, all ${COUNTERS} counters (median of ${RUNS}): ${report.toFixed(0)} ms`);
    console.log(`days table as CSV (median of ${RUNS}): ${csv.toFixed(0)} ms`);
    console.log(`ceilings: trivial staff page ${trivial.toFixed(1)} ms, plain COUNT of the month's journal ${plainCount.toFixed(1)} ms`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    await stop();
  }
}

await main();
