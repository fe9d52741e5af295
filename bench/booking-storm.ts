// Booking storm: many citizens log in and book the same few days at once, over HTTP, against
// the real app (several processes via node:cluster, sharing only PostgreSQL, each running the
// compiled production build: bench/storm-worker.mjs). Then, on the same database in the same run:
//   (a) the physical limit: a minimal booking transaction (guarded UPDATE of the slot, INSERT of
//       the booking and of its outbox row) straight on PostgreSQL;
//   (b) the app's booking transaction ceiling: the booking transaction without HTTP;
//   (c) HTTP: the whole citizen journey; its rate is compared with (b);
//   (d) the floor of (c): the same journeys against bare node:http (bench/storm-floor.mjs);
//   (e) the floor of the app's stack: (d) through Express with the app's citizen middleware.
//
//   npx tsx bench/booking-storm.ts            (embedded PostgreSQL in a temp dir)
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/booking-storm.ts
// Knobs: BENCH_CITIZENS (1500), BENCH_CONCURRENCY (500), BENCH_WORKERS (2), BENCH_DAYS (3),
//        BENCH_SLOT_CAPACITY (12), BENCH_POOL (per app process, 20),
//        BENCH_WORKER_NODE_ARGS (extra node flags for the app processes, e.g. --max-semi-space-size=32),
//        BENCH_PROFILE=DIR (a CPU profile of each app process, --cpu-prof, written into DIR),
//        BENCH_THINK_MS (0: each citizen sends the next request as soon as the page is in; N: a
//        pause of 0.5N-1.5N ms first, as a person reading the page and filling in the form),
//        BENCH_SCHEDULING (none: each app process accepts its own connections; rr: the primary
//        accepts them and hands them over, node:cluster's default)
import { benchDatabase, postgresCpuSeconds, SECRETS } from './support.js';
import { spawnSync } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../src/db/embedded.js';
import { birthKey } from '../src/features/citizen/birth-key.js';
import { addDays, dateColumn, jstInstant, todayInJapan } from '../src/lib/jst.js';
import { connectDatabase } from '../src/db/client.js';
import { bookingCommandRate, minimalTransactionRate, overbooked, runPool, seedCoreScenario } from './booking-core.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CITIZENS = num('BENCH_CITIZENS', 1500);
const CONCURRENCY = num('BENCH_CONCURRENCY', 500);
const WORKERS = num('BENCH_WORKERS', 2);
const DAYS = num('BENCH_DAYS', 3);
const CAPACITY = num('BENCH_SLOT_CAPACITY', 12);
const POOL = num('BENCH_POOL', 20);
const THINK_MS = num('BENCH_THINK_MS', 0);
const MAX_TRIES = 5;

// ---------------------------------------------------------------- set-up
export interface Scenario {
  counterId: number;
  days: string[];
  citizens: { noticeId: string; mmdd: string; id: number }[];
}

const NOTICE_PREFIX = { http: 7, app: 8, minimal: 9 } as const;

export async function seed(client: pg.Client, firstDay: string, label: keyof typeof NOTICE_PREFIX): Promise<Scenario> {
  const counter = await client.query(`INSERT INTO counters (code, name, address, updated_at) VALUES ($1, $2, '中央区本町1-1-1', now()) RETURNING id`, [
    `bench-${label}`,
    `ベンチ交付センター ${label}`,
  ]);
  const counterId = counter.rows[0].id as number;
  await client.query(`INSERT INTO counter_procedures (counter_id, procedure_code) VALUES ($1, 'pickup')`, [counterId]);
  const days = Array.from({ length: DAYS }, (_, i) => addDays(firstDay, i));
  const starts: Date[] = [];
  const dates: Date[] = [];
  for (const day of days)
    for (let minute = 9 * 60; minute < 17 * 60; minute += 15) {
      starts.push(jstInstant(day, minute));
      dates.push(dateColumn(day));
    }
  await client.query(
    `INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, updated_at)
     SELECT $1, d, s, s + interval '15 minutes', $2, now() FROM unnest($3::date[], $4::timestamptz[]) AS t(d, s)`,
    [counterId, CAPACITY, dates, starts],
  );
  const citizens = Array.from({ length: CITIZENS }, (_, i) => ({
    noticeId: `${NOTICE_PREFIX[label]}${String(i).padStart(15, '0')}`,
    mmdd: `${String((i % 12) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}`,
  }));
  const ids = await client.query(
    `INSERT INTO card_holders (notice_id, birth_key, status, counter_id, updated_at)
     SELECT n, k, 'notice_sent', $3, now() FROM unnest($1::text[], $2::text[]) AS t(n, k) RETURNING id, notice_id`,
    [citizens.map((c) => c.noticeId), citizens.map((c) => birthKey(SECRETS.birthDatePepper, c.noticeId, c.mmdd)), counterId],
  );
  const byNotice = new Map(ids.rows.map((row) => [row.notice_id as string, row.id as number]));
  return { counterId, days, citizens: citizens.map((c) => ({ ...c, id: byNotice.get(c.noticeId)! })) };
}

// ---------------------------------------------------------------- where the CPU goes
const cpuOf = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

/** Each app process's CPU seconds so far. */
function workersCpu(workers: Worker[]): Promise<number[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<number>((resolve) => {
          const listen = (message: { cpu?: NodeJS.CpuUsage }) => {
            if (!message?.cpu) return;
            worker.off('message', listen);
            resolve(cpuOf(message.cpu));
          };
          worker.on('message', listen);
          worker.send('cpu');
        }),
    ),
  );
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const workersCpuSeconds = async (workers: Worker[]) => sum(await workersCpu(workers));

// ---------------------------------------------------------------- HTTP citizens
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const tokenOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
/** The hidden fields (CSRF token, hold id...) of the page's form that posts to `action`. */
const hiddenFields = (html: string, action: string) =>
  Object.fromEntries(
    [...(html.split(`action="${action}"`)[1]?.split('</form>')[0] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
  );

// node:http with a keep-alive agent: much less CPU per request than fetch on the same cores.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

class Citizen {
  private readonly cookies = new Map<string, string>();
  constructor(
    private readonly base: URL,
    private readonly requestTimes: number[],
    private readonly stepTimes?: Map<string, number[]>,
  ) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
    if (THINK_MS > 0) await sleep(THINK_MS * (0.5 + Math.random()));
    const started = performance.now();
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers: http.OutgoingHttpHeaders = { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) });
    return new Promise((resolve, reject) => {
      const request = http.request({ host: this.base.hostname, port: this.base.port, path, method, agent, headers }, (response) => {
        for (const set of response.headers['set-cookie'] ?? []) {
          const [name, value] = set.split(';')[0].split(/=(.*)/s);
          if (value) this.cookies.set(name, value);
          else this.cookies.delete(name);
        }
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const took = performance.now() - started;
          this.requestTimes.push(took);
          if (this.stepTimes) {
            const step = `${method} ${path.replace(/\/days\/.*/, '/days/…')}`;
            const times = this.stepTimes.get(step) ?? [];
            if (times.length === 0) this.stepTimes.set(step, times);
            times.push(took);
          }
          resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? null, text });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }
}

export async function citizenJourney(
  base: string,
  scenario: Scenario,
  person: Scenario['citizens'][number],
  requestTimes: number[],
  stepTimes?: Map<string, number[]>,
): Promise<'booked' | 'full' | 'error'> {
  const c = new Citizen(new URL(base), requestTimes, stepTimes);
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
    const confirmed = await c.request('POST', '/booking/confirm', {
      ...hiddenFields(confirm.text, '/booking/confirm'),
      email: `c${person.id}@example.jp`,
      emailAgain: `c${person.id}@example.jp`,
    });
    if (confirmed.location !== '/booking/review') return 'error';
    const review = await c.request('GET', '/booking/review');
    const done = await c.request('POST', '/booking/complete', hiddenFields(review.text, '/booking/complete'));
    return done.status === 303 && done.location === '/booking?done=booked' ? 'booked' : 'error';
  }
  return 'full';
}

async function httpStorm(base: string, scenario: Scenario) {
  const requestTimes: number[] = [];
  const stepTimes = new Map<string, number[]>();
  const journeyTimes: number[] = [];
  const outcomes = { booked: 0, full: 0, error: 0 };
  let lastBookedAt = 0;
  const started = performance.now();
  await runPool(scenario.citizens, CONCURRENCY, async (person) => {
    const t0 = performance.now();
    const outcome = await citizenJourney(base, scenario, person, requestTimes, stepTimes).catch(() => 'error' as const);
    outcomes[outcome] += 1;
    if (outcome === 'booked') {
      journeyTimes.push(performance.now() - t0);
      lastBookedAt = performance.now();
    }
  });
  const seconds = (lastBookedAt - started) / 1000;
  for (const times of stepTimes.values()) times.sort((a, b) => a - b);
  return { outcomes, seconds, requestTimes: requestTimes.sort((a, b) => a - b), stepTimes, journeyTimes: journeyTimes.sort((a, b) => a - b), requests: requestTimes.length };
}

// ---------------------------------------------------------------- primary
const stopWorkers = (workers: Worker[]) =>
  Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.send('stop');
        }),
    ),
  );

/** (d) the same journeys against the floor (bench/storm-floor.mjs): same requests, same round trips, no app. */
async function floorStorm(url: string, scenario: Scenario, stack: 'node' | 'express') {
  const { workers, base } = await startWorkers(url, 'storm-floor.mjs', { stack });
  const cpuBefore = await workersCpuSeconds(workers);
  const run = await httpStorm(base, scenario);
  const cpu = (await workersCpuSeconds(workers)) - cpuBefore;
  await stopWorkers(workers);
  return { ...run, cpuPerJourneyMs: (cpu * 1000) / run.outcomes.booked };
}

/** The app processes run what `npm start` runs: the compiled build, fresh from the sources. */
function buildApp(): void {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

function floorLine(floor: Awaited<ReturnType<typeof floorStorm>>): string {
  const latency = (p: number) => percentile(floor.requestTimes, p).toFixed(1);
  return `  server CPU per journey: ${floor.cpuPerJourneyMs.toFixed(1)} ms (${(floor.requests / floor.outcomes.booked).toFixed(1)} requests, 18 round trips); ${(floor.outcomes.booked / floor.seconds).toFixed(1)} journeys/s; request latency ms: p50 ${latency(50)}  p95 ${latency(95)}  p99 ${latency(99)}; errors ${floor.outcomes.error}`;
}

async function startWorkers(url: string, exec = 'storm-worker.mjs', settingsMore: Record<string, string> = {}) {
  const port = await freePort();
  const workerArgs = [
    ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
  ];
  // Plain node, no TypeScript loader: the primary's own flags (tsx) are not passed on.
  // The primary is also the load generator. Left to node:cluster's round robin it accepts every
  // connection and hands it to an app process over IPC, one at a time, while it is busy driving
  // the citizens: the first request of citizens arriving together waited seconds for that (GET
  // /login p99 6 s, bench/README.md "The storm's tail"). An app process accepts its own
  // connections, as the one process of `npm start` does.
  cluster.schedulingPolicy = process.env.BENCH_SCHEDULING === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: path.join(import.meta.dirname, exec), execArgv: workerArgs });
  const settings = JSON.stringify({ url, port, pool: POOL, secrets: SECRETS, ...settingsMore });
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ BENCH_WORKER: settings, NODE_ENV: 'production' }));
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve()))));
  const base = `http://127.0.0.1:${port}`;
  // Warm up each process (templates, Prisma) before the clock starts.
  for (let i = 0; i < WORKERS * 4; i += 1) await fetch(`${base}/login`).then((r) => r.text());
  return { workers, base };
}

async function runPrimary(): Promise<void> {
  buildApp();
  const { url, dataDir, stop: stopDatabase } = await benchDatabase('booking-storm');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const firstDay = addDays(todayInJapan(), 7);
  const httpScenario = await seed(client, firstDay, 'http');
  const appScenario = await seedCoreScenario(client, addDays(firstDay, 7), 'app');
  const minimalScenario = await seedCoreScenario(client, addDays(firstDay, 14), 'minimal');
  const places = DAYS * 32 * CAPACITY;
  console.log(
    `booking storm: ${CITIZENS} citizens, ${CONCURRENCY} at once, ${WORKERS} app processes (compiled build, NODE_ENV=production, pool ${POOL} each${process.env.BENCH_WORKER_NODE_ARGS ? `, node ${process.env.BENCH_WORKER_NODE_ARGS}` : ''}), ${DAYS} days x 32 slots x ${CAPACITY} places = ${places} places, ${os.cpus().length} CPUs (shared machine)`,
  );

  const { workers, base } = await startWorkers(url);
  const commits = async () => Number((await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0].xact_commit);
  // Transactions that wrote something get a transaction id (and wait for their WAL to be flushed at COMMIT); read-only ones do not.
  const writeXid = async () => Number((await client.query('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid);
  const commitsBefore = await commits();
  const xidBefore = await writeXid();
  const cpuBefore = { app: await workersCpu(workers), load: cpuOf(process.cpuUsage()), pg: await postgresCpuSeconds(dataDir) };
  const http = await httpStorm(base, httpScenario);
  const appCpu = (await workersCpu(workers)).map((seconds, i) => seconds - cpuBefore.app[i]);
  const cpu = { app: sum(appCpu), load: cpuOf(process.cpuUsage()) - cpuBefore.load, pg: (await postgresCpuSeconds(dataDir)) - cpuBefore.pg };
  const commitsDuring = (await commits()) - commitsBefore;
  const writesDuring = (await writeXid()) - xidBefore - 1;
  await stopWorkers(workers);
  const check = await overbooked(client, httpScenario.counterId);
  const floor = await floorStorm(url, httpScenario, 'node');
  const stackFloor = await floorStorm(url, httpScenario, 'express');
  const httpRate = http.outcomes.booked / http.seconds;

  const database = connectDatabase(url, POOL * WORKERS);
  await bookingCommandRate(database, await seedCoreScenario(client, addDays(firstDay, 21), 'warm', 50)); // prepared statements, Prisma's first queries
  const booked = await bookingCommandRate(database, appScenario);
  await database.close();
  const app = { ...booked, rate: booked.perSecond, overbooked: (await overbooked(client, appScenario.counterId)).overbooked };
  const minimalRun = await minimalTransactionRate(url, minimalScenario);
  const minimal = { ...minimalRun, rate: minimalRun.perSecond, overbooked: (await overbooked(client, minimalScenario.counterId)).overbooked };
  const connections = `${POOL * WORKERS} connections, ${CONCURRENCY} citizens at once`;
  const perBooking = (seconds: number) => (seconds * 1000) / http.outcomes.booked;

  console.log(`\n(a) physical limit: minimal booking transaction (guarded slot UPDATE + booking INSERT + outbox INSERT) straight on PostgreSQL, ${connections}:`);
  console.log(`  bookings/s: ${minimal.rate.toFixed(1)} (${minimal.booked} booked), overbooked slots: ${minimal.overbooked}`);
  console.log(`\n(b) the app's booking transaction without HTTP: bookSlot in transaction() (booking, card status and history, outbox row, audit row), ${connections}:`);
  console.log(
    `  bookings/s: ${app.rate.toFixed(1)} (${app.booked} booked; the aim of 1,000/s is for the transaction in SQL: bench/booking-sql.ts), app CPU ${app.appCpuMs.toFixed(2)} ms per booking, overbooked slots: ${app.overbooked}`,
  );
  console.log(
    `\n(c) HTTP (log in, pick a day, hold a time, email, confirm: 8 requests per journey, ${http.requests} requests${THINK_MS ? `, a pause of about ${THINK_MS} ms before each: the rate below is the citizens' pace, not the app's ceiling` : ''}):`,
  );
  console.log(`  outcomes: ${http.outcomes.booked} booked, ${http.outcomes.full} found no free time, ${http.outcomes.error} errors`);
  console.log(
    `  bookings/s: ${httpRate.toFixed(1)} (${http.outcomes.booked} in ${http.seconds.toFixed(2)} s); ratio to (b): ${(httpRate / app.rate).toFixed(2)} (aim >= 0.4); to (a): ${(httpRate / minimal.rate).toFixed(2)}`,
  );
  console.log(
    `  app CPU per booking journey: ${perBooking(cpu.app).toFixed(1)} ms (aim <= 4; the work of the citizens who found no free time included), ${((cpu.app * 1000) / http.requests).toFixed(2)} ms per request; load generator ${perBooking(cpu.load).toFixed(1)} ms, PostgreSQL ${perBooking(cpu.pg).toFixed(1)} ms (wall ${http.seconds.toFixed(1)} s x ${os.cpus().length} CPUs = ${(http.seconds * os.cpus().length).toFixed(0)} CPU-s); each app process's share: ${appCpu.map((seconds) => `${((100 * seconds) / cpu.app).toFixed(0)} %`).join(' / ')}`,
  );
  console.log(
    `  PostgreSQL commits per citizen: ${(writesDuring / CITIZENS).toFixed(1)} that write (aim <= 3); ${(commitsDuring / CITIZENS).toFixed(1)} in all, read-only statements included`,
  );
  console.log(
    `  request latency ms: p50 ${percentile(http.requestTimes, 50).toFixed(1)}  p95 ${percentile(http.requestTimes, 95).toFixed(1)}  p99 ${percentile(http.requestTimes, 99).toFixed(1)} (aim p99 < 250); journey p99 ${percentile(http.journeyTimes, 99).toFixed(0)}`,
  );
  console.log(
    `  per step, ms (p50 / p99): ${[...http.stepTimes].map(([step, times]) => `${step} ${percentile(times, 50).toFixed(0)} / ${percentile(times, 99).toFixed(0)}`).join('; ')}`,
  );
  console.log(`  overbooked slots: ${check.overbooked} (slots whose counter disagrees with bookings+holds: ${check.mismatched}; bookings in the database: ${check.booked})`);
  console.log(
    `\n(d) the floor of (c) on this machine: the same journeys against bare node:http with the same round trips to PostgreSQL per request and no app work (bench/storm-floor.mjs), ${WORKERS} processes:`,
  );
  console.log(floorLine(floor));
  console.log(`\n(e) the floor of the app's stack: (d) through Express 5 with the app's security headers, form parser and citizen session cookie, no templates, no app logic:`);
  console.log(floorLine(stackFloor));
  await client.end();
  await stopDatabase();
  if (check.overbooked > 0 || app.overbooked > 0 || minimal.overbooked > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await runPrimary();
