// The counter floor's live pages (issue 18): what 200 open call displays and 1,000 phones
// following their place cost, in CPU per second of the app processes and of PostgreSQL, and how
// fast a call reaches them. Two app processes (the production build, as `npm start` runs it)
// share one PostgreSQL; the followers are spread over both and over ten counters. Three phases
// of the same length, measured in the same run:
//   A. windows calling (one call per counter per second), nobody following: the ceiling of
//      what calling itself costs, which the followers add to;
//   B. 1,200 followers connected, nobody calling (heartbeats, the half-minute refresh);
//   C. 1,200 followers and the same calls: every call's delay to every follower.
//
//   npm run build && npx tsx bench/floor-live.ts
// Knobs: BENCH_DISPLAYS (200), BENCH_PHONES (1000), BENCH_COUNTERS (10), BENCH_SECONDS (20 per phase).
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectDatabase, type Database } from '../src/db/client.js';
import { freePort } from '../src/db/embedded.js';
import { transaction } from '../src/db/transaction.js';
import { callNext, issueWalkIn } from '../src/features/floor/tickets.js';
import type { StaffPrincipal } from '../src/policies/index.js';
import { benchDatabase, ready, startApp, type AppProcess } from './support.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DISPLAYS = num('BENCH_DISPLAYS', 200);
const PHONES = num('BENCH_PHONES', 1000);
const COUNTERS = num('BENCH_COUNTERS', 10);
const SECONDS = num('BENCH_SECONDS', 20);
const WINDOWS = 5;
const BENCH_CLERK: StaffPrincipal = { id: 0, loginId: 'bench', displayName: 'bench', role: 'admin', mustChangePassword: false, counterIds: null };
const ACTOR = { type: 'staff' as const, id: '0' };
const TICKS_PER_SECOND = 100; // /proc's clock ticks (USER_HZ)

/** CPU seconds each process has used so far (user + system), from /proc. */
function cpuByProcess(pids: number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      used.set(pid, (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND); // utime, stime
    } catch {
      // the process ended
    }
  }
  return used;
}

/** CPU used between two readings, by the processes alive at the second (a new process counts from 0). */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, used] of after) seconds += used - (before.get(pid) ?? 0);
  return seconds;
}

/** The bench's own PostgreSQL server: its postmaster (from the data directory) and the processes it started. */
function postgresPids(dataDir: string | undefined): number[] {
  if (!dataDir) return [];
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

interface Follower {
  counter: number;
  received: number;
  /** When each awaited call reached this follower (ms after the call committed). */
  delays: number[];
  heard: Set<string>;
}

interface Call {
  marker: string;
  at: number;
}

const pending = new Map<number, Call[]>();

function follow(port: number, code: string, counter: number, agent: http.Agent): Promise<Follower> {
  const follower: Follower = { counter, received: 0, delays: [], heard: new Set() };
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: `/floor/${code}/events`, agent }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`follow: ${response.statusCode}`));
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (!chunk.includes('data: ')) return;
        follower.received += 1;
        if (follower.received === 1) resolve(follower);
        for (const call of pending.get(counter) ?? [])
          if (!follower.heard.has(call.marker) && chunk.includes(call.marker)) {
            follower.heard.add(call.marker);
            follower.delays.push(performance.now() - call.at);
          }
      });
    });
    request.on('error', reject);
  });
}

async function seed(db: Database): Promise<{ id: number; code: string }[]> {
  const counters: { id: number; code: string }[] = [];
  for (let i = 0; i < COUNTERS; i++) {
    const [row] = await db.query<{ id: number; code: string }>(`INSERT INTO counters (code, name, windows, updated_at) VALUES ($1, $2, $3, now()) RETURNING id, code`, [
      `floor-${i}`,
      `ベンチ窓口 ${i + 1}`,
      WINDOWS,
    ]);
    await db.query(`INSERT INTO counter_procedures (counter_id, procedure_code) VALUES ($1, 'pickup')`, [row.id]);
    counters.push(row);
  }
  // Enough waiting for two phases of calls.
  const tickets = 2 * SECONDS + 20;
  for (const counter of counters)
    for (let i = 0; i < tickets; i++) await transaction(db, ACTOR, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: BENCH_CLERK }), { models: false });
  return counters;
}

/** One call per counter per second for `seconds`, each awaited by the followers of its counter. */
async function callFor(db: Database, counters: { id: number }[], seconds: number): Promise<number> {
  let calls = 0;
  const end = performance.now() + seconds * 1000;
  let window = 0;
  while (performance.now() < end) {
    const tick = performance.now();
    window = (window % WINDOWS) + 1;
    await Promise.all(
      counters.map(async (counter) => {
        const called = await transaction(db, ACTOR, (tx) => callNext(tx, { counterId: counter.id, window, by: BENCH_CLERK }), { models: false });
        if (!called) return;
        calls += 1;
        const list = pending.get(counter.id) ?? [];
        list.push({ marker: `{"number":"${called.number}","window":`, at: performance.now() });
        pending.set(counter.id, list.slice(-3));
      }),
    );
    await sleep(Math.max(0, 1000 - (performance.now() - tick)));
  }
  return calls;
}

async function measure<T>(apps: number[], postgres: () => number[], work: () => Promise<T>): Promise<{ seconds: number; cpu: { app: number; pg: number }; result: T }> {
  const before = { app: cpuByProcess(apps), pg: cpuByProcess(postgres()), at: performance.now() };
  const result = await work();
  const seconds = (performance.now() - before.at) / 1000;
  return { seconds, cpu: { app: cpuBetween(before.app, cpuByProcess(apps)), pg: cpuBetween(before.pg, cpuByProcess(postgres())) }, result };
}

const perSecond = (cpu: number, seconds: number) => `${((cpu / seconds) * 1000).toFixed(1)} ms/s`;
// (PostgreSQL's CPU is measured only on the bench's own embedded server, not on BENCH_DATABASE_URL.)
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main() {
  const database = await benchDatabase('floor');
  const db = connectDatabase(database.url, 12);
  const apps: AppProcess[] = [];
  try {
    const counters = await seed(db);
    const ports = [await freePort(), await freePort()];
    process.env.SEED_DEMO_DATA = 'false';
    for (const port of ports) apps.push(startApp(database.url, port, 0));
    await Promise.all(ports.map((port) => ready(port)));
    const appPids = apps.map((app) => app.child.pid!);
    const pgPids = () => postgresPids(database.dataDir);
    console.log(`floor live: 2 app processes, ${COUNTERS} counters, ${DISPLAYS} displays + ${PHONES} phones, phases of ${SECONDS} s, calls 1 per counter per second`);

    const a = await measure(appPids, pgPids, () => callFor(db, counters, SECONDS));

    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const connectStart = performance.now();
    const followers = await Promise.all(Array.from({ length: DISPLAYS + PHONES }, (_, i) => follow(ports[i % 2], counters[i % COUNTERS].code, counters[i % COUNTERS].id, agent)));
    const connectSeconds = (performance.now() - connectStart) / 1000;
    await sleep(2000);

    const b = await measure(appPids, pgPids, () => sleep(SECONDS * 1000));
    pending.clear();
    for (const follower of followers) follower.delays.length = 0;
    const c = await measure(appPids, pgPids, () => callFor(db, counters, SECONDS));
    await sleep(2000); // the last calls' deliveries

    const delays = followers.flatMap((follower) => follower.delays).sort((x, y) => x - y);
    const expected = c.result * ((DISPLAYS + PHONES) / COUNTERS);
    const rows = [
      ['A. calls, nobody following (ceiling of calling alone)', a],
      ['B. 1,200 following, no calls', b],
      ['C. 1,200 following and the calls', c],
    ] as const;
    console.log(`followers connected in ${connectSeconds.toFixed(2)} s; calls: A ${a.result}, C ${c.result}`);
    console.log('| phase | app processes CPU | PostgreSQL CPU |');
    console.log('| --- | --- | --- |');
    for (const [label, phase] of rows) console.log(`| ${label} | ${perSecond(phase.cpu.app, phase.seconds)} | ${perSecond(phase.cpu.pg, phase.seconds)} |`);
    const added = (c.cpu.app / c.seconds - a.cpu.app / a.seconds) * 1000;
    console.log(`the followers add ${added.toFixed(1)} ms of app CPU per second while calls go on (${((added / 2000) * 100).toFixed(1)} % of this 2-core machine)`);
    console.log(
      `call to follower: ${delays.length} of ${expected} deliveries, p50 ${quantile(delays, 0.5).toFixed(0)} ms, p99 ${quantile(delays, 0.99).toFixed(0)} ms, max ${(delays.at(-1) ?? NaN).toFixed(0)} ms (aim: within 2,000 ms)`,
    );
    agent.destroy();
  } finally {
    for (const app of apps) app.child.kill('SIGTERM');
    await Promise.all(apps.map((app) => app.exited));
    await db.close();
    await database.stop();
  }
}

await main();
