// Booking storm: many citizens log in and book the same few days at once, over HTTP, against
// the real app (several processes via node:cluster, sharing only PostgreSQL). Then the same
// booking transaction runs directly in SQL on the same database as the ceiling.
//
//   npx tsx bench/booking-storm.ts            (embedded PostgreSQL in a temp dir)
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/booking-storm.ts
// Knobs: BENCH_CITIZENS (1500), BENCH_CONCURRENCY (500), BENCH_WORKERS (2), BENCH_DAYS (3),
//        BENCH_SLOT_CAPACITY (12), BENCH_POOL (per app process, 20),
//        BENCH_WORKER_NODE_ARGS (extra node flags for the app processes, e.g. --max-semi-space-size=32)
import { benchDatabase } from './support.js';
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/client.js';
import { freePort } from '../src/db/embedded.js';
import { birthKey } from '../src/features/citizen/birth-key.js';
import { addDays, dateColumn, jstInstant, todayInJapan } from '../src/lib/jst.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CITIZENS = num('BENCH_CITIZENS', 1500);
const CONCURRENCY = num('BENCH_CONCURRENCY', 500);
const WORKERS = num('BENCH_WORKERS', 2);
const DAYS = num('BENCH_DAYS', 3);
const CAPACITY = num('BENCH_SLOT_CAPACITY', 12);
const POOL = num('BENCH_POOL', 20);
const SECRETS = { sessionSecret: 'bench-session-secret-0123456789abcdef0123', birthDatePepper: 'bench-birth-pepper-0123456789abcdef012345' };
const MAX_TRIES = 5;

// ---------------------------------------------------------------- app worker process
async function runWorker(): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DATABASE_URL: process.env.BENCH_DB_URL, SESSION_SECRET: SECRETS.sessionSecret, BIRTH_DATE_PEPPER: SECRETS.birthDatePepper, PUBLIC_BASE_URL: 'http://127.0.0.1', DATABASE_POOL_SIZE: String(POOL) });
  const db = connectDatabase(config.DATABASE_URL!, POOL);
  const app = createApp({ config, db, secrets: SECRETS, logger: pino({ level: 'silent' }) });
  const server = app.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => process.send?.('listening'));
  process.on('message', async (message) => {
    if (message === 'cpu') return process.send?.({ cpu: process.cpuUsage() });
    if (message !== 'stop') return;
    server.close();
    await db.close();
    process.exit(0);
  });
}

// ---------------------------------------------------------------- set-up
interface Scenario { counterId: number; days: string[]; citizens: { noticeId: string; mmdd: string; id: number }[] }

async function seed(client: pg.Client, firstDay: string, label: string): Promise<Scenario> {
  const counter = await client.query(`INSERT INTO counters (code, name, address, updated_at) VALUES ($1, $2, '中央区本町1-1-1', now()) RETURNING id`, [`bench-${label}`, `ベンチ交付センター ${label}`]);
  const counterId = counter.rows[0].id as number;
  const days = Array.from({ length: DAYS }, (_, i) => addDays(firstDay, i));
  const starts: Date[] = [];
  const dates: Date[] = [];
  for (const day of days) for (let minute = 9 * 60; minute < 17 * 60; minute += 15) {
    starts.push(jstInstant(day, minute));
    dates.push(dateColumn(day));
  }
  await client.query(
    `INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, updated_at)
     SELECT $1, d, s, s + interval '15 minutes', $2, now() FROM unnest($3::date[], $4::timestamptz[]) AS t(d, s)`,
    [counterId, CAPACITY, dates, starts],
  );
  const citizens = Array.from({ length: CITIZENS }, (_, i) => ({ noticeId: `${label === 'http' ? 7 : 8}${String(i).padStart(15, '0')}`, mmdd: `${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}` }));
  const ids = await client.query(
    `INSERT INTO card_holders (notice_id, birth_key, status, counter_id, updated_at)
     SELECT n, k, 'notice_sent', $3, now() FROM unnest($1::text[], $2::text[]) AS t(n, k) RETURNING id, notice_id`,
    [citizens.map((c) => c.noticeId), citizens.map((c) => birthKey(SECRETS.birthDatePepper, c.noticeId, c.mmdd)), counterId],
  );
  const byNotice = new Map(ids.rows.map((row) => [row.notice_id as string, row.id as number]));
  return { counterId, days, citizens: citizens.map((c) => ({ ...c, id: byNotice.get(c.noticeId)! })) };
}

async function overbookedSlots(client: pg.Client, counterId: number): Promise<{ overbooked: number; mismatched: number; booked: number }> {
  const result = await client.query(
    `SELECT count(*) FILTER (WHERE active > capacity OR booked > capacity)::int AS overbooked,
            count(*) FILTER (WHERE active + held <> booked)::int AS mismatched,
            coalesce(sum(active), 0)::int AS booked
     FROM (SELECT s.capacity, s.booked,
             (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active') AS active,
             (SELECT coalesce(sum(people), 0) FROM slot_holds h WHERE h.slot_id = s.id) AS held
           FROM slots s WHERE s.counter_id = $1) AS per_slot`,
    [counterId],
  );
  return result.rows[0];
}

// ---------------------------------------------------------------- where the CPU goes
const CLOCK_TICKS = 100;

/** CPU seconds of an embedded PostgreSQL: the postmaster, its live children and the children it reaped. */
async function postgresCpuSeconds(dataDir: string | undefined): Promise<number> {
  if (!dataDir) return NaN;
  const stat = async (pid: string) => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /, '').split(' ');
  const postmaster = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
  let ticks = 0;
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const fields = await stat(pid);
    if (pid === postmaster) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    else if (fields[1] === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

const cpuOf = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

async function workersCpuSeconds(workers: Worker[]): Promise<number> {
  const usages = await Promise.all(workers.map((worker) => new Promise<number>((resolve) => {
    const listen = (message: { cpu?: NodeJS.CpuUsage }) => {
      if (!message?.cpu) return;
      worker.off('message', listen);
      resolve(cpuOf(message.cpu));
    };
    worker.on('message', listen);
    worker.send('cpu');
  })));
  return usages.reduce((sum, seconds) => sum + seconds, 0);
}

// ---------------------------------------------------------------- HTTP citizens
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const tokenOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
/** The hidden fields (CSRF token, hold id...) of the page's form that posts to `action`. */
const hiddenFields = (html: string, action: string) =>
  Object.fromEntries([...(html.split(`action="${action}"`)[1]?.split('</form>')[0] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));

// node:http with a keep-alive agent: much less CPU per request than fetch on the same cores.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

class Citizen {
  private cookie = '';
  constructor(private readonly base: URL, private readonly requestTimes: number[]) {}

  request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
    const started = performance.now();
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers: http.OutgoingHttpHeaders = { cookie: this.cookie };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) });
    return new Promise((resolve, reject) => {
      const request = http.request({ host: this.base.hostname, port: this.base.port, path, method, agent, headers }, (response) => {
        const set = response.headers['set-cookie']?.find((c) => c.startsWith('sid='));
        if (set) this.cookie = set.split(';')[0];
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          this.requestTimes.push(performance.now() - started);
          resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? null, text });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }
}

async function citizenJourney(base: string, scenario: Scenario, person: Scenario['citizens'][number], requestTimes: number[]): Promise<'booked' | 'full' | 'error'> {
  const c = new Citizen(new URL(base), requestTimes);
  const login = await c.request('GET', '/login');
  const loggedIn = await c.request('POST', '/login', { _csrf: tokenOf(login.text), noticeId: person.noticeId, birth: person.mmdd });
  if (loggedIn.status !== 303) return 'error';
  for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
    const day = scenario.days[Math.floor(Math.random() * scenario.days.length)];
    const page = await c.request('GET', `/booking/counters/${scenario.counterId}/days/${day}`);
    const slots = [...page.text.matchAll(/name="slotId" value="(\d+)"/g)].map((m) => m[1]);
    if (slots.length === 0) continue;
    const token = tokenOf(page.text);
    const hold = await c.request('POST', '/booking/hold', { _csrf: token, slotId: slots[Math.floor(Math.random() * slots.length)] });
    if (hold.location === '/booking/refused') continue; // full: the refusal page says so
    if (hold.status !== 303) return 'error';
    // Each step is POST/redirect/GET; the confirm and review forms carry the hold they show.
    const confirm = await c.request('GET', '/booking/confirm');
    const confirmed = await c.request('POST', '/booking/confirm', { ...hiddenFields(confirm.text, '/booking/confirm'), email: `c${person.id}@example.jp`, emailAgain: `c${person.id}@example.jp` });
    if (confirmed.location !== '/booking/review') return 'error';
    const review = await c.request('GET', '/booking/review');
    const done = await c.request('POST', '/booking/complete', hiddenFields(review.text, '/booking/complete'));
    return done.status === 303 && done.location === '/booking?done=booked' ? 'booked' : 'error';
  }
  return 'full';
}

async function runPool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

async function httpStorm(base: string, scenario: Scenario) {
  const requestTimes: number[] = [];
  const journeyTimes: number[] = [];
  const outcomes = { booked: 0, full: 0, error: 0 };
  let lastBookedAt = 0;
  const started = performance.now();
  await runPool(scenario.citizens, CONCURRENCY, async (person) => {
    const t0 = performance.now();
    const outcome = await citizenJourney(base, scenario, person, requestTimes).catch(() => 'error' as const);
    outcomes[outcome] += 1;
    if (outcome === 'booked') {
      journeyTimes.push(performance.now() - t0);
      lastBookedAt = performance.now();
    }
  });
  const seconds = (lastBookedAt - started) / 1000;
  return { outcomes, seconds, requestTimes: requestTimes.sort((a, b) => a - b), journeyTimes: journeyTimes.sort((a, b) => a - b), requests: requestTimes.length };
}

// ---------------------------------------------------------------- the same transaction in SQL
const BOOK_SQL = {
  lockHolder: `SELECT id, status FROM card_holders WHERE id = $1 FOR UPDATE`,
  activeCount: `SELECT count(*)::int AS n FROM bookings WHERE card_holder_id = $1 AND status IN ('active', 'checked_in')`,
  take: `UPDATE slots SET booked = booked + 1, updated_at = now() WHERE id = $1 AND booked + 1 <= capacity - reserved_capacity`,
  insert: `INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, email, created_by, updated_at)
           VALUES ($1, $2, $3, $1, 'active', 'web', $4, $5, now()) ON CONFLICT (code) DO NOTHING RETURNING id`,
  card: `UPDATE card_holders SET status = 'booked', updated_at = now() WHERE id = $1`,
  history: `INSERT INTO card_status_changes (card_holder_id, from_status, to_status, actor, reason) VALUES ($1, 'notice_sent', 'booked', $2, 'booking')`,
  outbox: `INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, booking_id) VALUES ($1, 'booking.confirmation', $2, '予約完了', $3, $4)`,
  audit: `INSERT INTO audit_logs (actor_type, actor_id, action, target_type, target_id) VALUES ('citizen', $1, 'booking.create', 'booking', $2)`,
};

async function sqlCeiling(url: string, scenario: Scenario, slotIds: number[]) {
  const pool = new pg.Pool({ connectionString: url, max: POOL * WORKERS });
  const { newBookingCode } = await import('../src/features/booking/code.js');
  let booked = 0;
  let lastBookedAt = 0;
  const started = performance.now();
  await runPool(scenario.citizens, CONCURRENCY, async (person) => {
    const client = await pool.connect();
    try {
      for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
        const slotId = slotIds[Math.floor(Math.random() * slotIds.length)];
        await client.query('BEGIN');
        await client.query(BOOK_SQL.lockHolder, [person.id]);
        await client.query(BOOK_SQL.activeCount, [person.id]);
        if ((await client.query(BOOK_SQL.take, [slotId])).rowCount !== 1) {
          await client.query('ROLLBACK');
          continue;
        }
        const code = newBookingCode();
        const inserted = await client.query(BOOK_SQL.insert, [code, slotId, person.id, `c${person.id}@example.jp`, `citizen:${person.id}`]);
        await client.query(BOOK_SQL.card, [person.id]);
        await client.query(BOOK_SQL.history, [person.id, `citizen:${person.id}`]);
        await client.query(BOOK_SQL.outbox, [`booking:${code}:confirmation:new`, `c${person.id}@example.jp`, '本文', inserted.rows[0].id]);
        await client.query(BOOK_SQL.audit, [String(person.id), code]);
        await client.query('COMMIT');
        booked += 1;
        lastBookedAt = performance.now();
        return;
      }
    } finally {
      client.release();
    }
  });
  await pool.end();
  return { booked, seconds: (lastBookedAt - started) / 1000 };
}

// ---------------------------------------------------------------- primary
async function runPrimary(): Promise<void> {
  const { url, dataDir, stop: stopDatabase } = await benchDatabase('booking-storm');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const firstDay = addDays(todayInJapan(), 7);
  const httpScenario = await seed(client, firstDay, 'http');
  const sqlScenario = await seed(client, addDays(firstDay, 7), 'sql');
  const places = DAYS * 32 * CAPACITY;
  console.log(`booking storm: ${CITIZENS} citizens, ${CONCURRENCY} at once, ${WORKERS} app processes (pool ${POOL} each${process.env.BENCH_WORKER_NODE_ARGS ? `, node ${process.env.BENCH_WORKER_NODE_ARGS}` : ''}), ${DAYS} days x 32 slots x ${CAPACITY} places = ${places} places, ${os.cpus().length} CPUs (shared machine)`);

  const port = await freePort();
  const workerArgs = [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])];
  cluster.setupPrimary({ exec: process.argv[1], execArgv: [...process.execArgv, ...workerArgs] });
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ BENCH_ROLE: 'worker', BENCH_DB_URL: url, BENCH_PORT: String(port) }));
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve()))));
  const base = `http://127.0.0.1:${port}`;
  // Warm up each process (templates, Prisma) before the clock starts.
  for (let i = 0; i < WORKERS * 4; i += 1) await fetch(`${base}/login`).then((r) => r.text());

  const commits = async () => Number((await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0].xact_commit);
  const commitsBefore = await commits();
  const cpuBefore = { app: await workersCpuSeconds(workers), load: cpuOf(process.cpuUsage()), pg: await postgresCpuSeconds(dataDir) };
  const http = await httpStorm(base, httpScenario);
  const cpu = { app: (await workersCpuSeconds(workers)) - cpuBefore.app, load: cpuOf(process.cpuUsage()) - cpuBefore.load, pg: (await postgresCpuSeconds(dataDir)) - cpuBefore.pg };
  const commitsDuring = (await commits()) - commitsBefore;
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => { worker.once('exit', () => resolve()); worker.send('stop'); })));
  const check = await overbookedSlots(client, httpScenario.counterId);
  const httpRate = http.outcomes.booked / http.seconds;
  console.log(`\nHTTP (log in, pick a day, hold a time, email, confirm — ${http.requests} requests):`);
  console.log(`  outcomes: ${http.outcomes.booked} booked, ${http.outcomes.full} found no free time, ${http.outcomes.error} errors`);
  console.log(`  successful bookings/s: ${httpRate.toFixed(1)} (${http.outcomes.booked} in ${http.seconds.toFixed(2)} s)`);
  console.log(`  citizen journey latency ms (8 requests: each step is POST/redirect/GET): p50 ${percentile(http.journeyTimes, 50).toFixed(0)}  p95 ${percentile(http.journeyTimes, 95).toFixed(0)}  p99 ${percentile(http.journeyTimes, 99).toFixed(0)}`);
  console.log(`  single request latency ms: p50 ${percentile(http.requestTimes, 50).toFixed(1)}  p95 ${percentile(http.requestTimes, 95).toFixed(1)}  p99 ${percentile(http.requestTimes, 99).toFixed(1)}`);
  const perBooking = (seconds: number) => `${((seconds * 1000) / http.outcomes.booked).toFixed(1)} ms`;
  console.log(`  CPU used during the storm: app processes ${cpu.app.toFixed(1)} s, load generator ${cpu.load.toFixed(1)} s, PostgreSQL ${cpu.pg.toFixed(1)} s (per booking: ${perBooking(cpu.app)}, ${perBooking(cpu.load)}, ${perBooking(cpu.pg)}; wall ${http.seconds.toFixed(1)} s x ${os.cpus().length} CPUs = ${(http.seconds * os.cpus().length).toFixed(0)} CPU-s)`);
  console.log(`  PostgreSQL commits per citizen: ${(commitsDuring / CITIZENS).toFixed(1)} (the SQL ceiling: 1 per booking)`);
  console.log(`  overbooked slots: ${check.overbooked} (slots whose counter disagrees with bookings+holds: ${check.mismatched}; bookings in the database: ${check.booked})`);

  const slotIds = (await client.query('SELECT id FROM slots WHERE counter_id = $1', [sqlScenario.counterId])).rows.map((row) => row.id as number);
  const sql = await sqlCeiling(url, sqlScenario, slotIds);
  const sqlCheck = await overbookedSlots(client, sqlScenario.counterId);
  const sqlRate = sql.booked / sql.seconds;
  console.log(`\nSQL ceiling (the same booking transaction straight on PostgreSQL, ${POOL * WORKERS} connections):`);
  console.log(`  successful bookings/s: ${sqlRate.toFixed(1)} (${sql.booked} in ${sql.seconds.toFixed(2)} s), overbooked slots: ${sqlCheck.overbooked}`);
  console.log(`\nratio HTTP / SQL: ${(httpRate / sqlRate).toFixed(2)}`);
  await client.end();
  await stopDatabase();
  if (check.overbooked > 0 || sqlCheck.overbooked > 0) process.exitCode = 1;
}

if (cluster.isPrimary && process.env.BENCH_ROLE !== 'worker') await runPrimary();
else await runWorker();
