// The booking transaction in SQL alone (issue 13, first aim): the exact statements bookSlot sends
// for each citizen (the booking row, the card status and its history row, the audit row, the
// outbox row with the mail's text and calendar file, the slot's places), replayed by pgbench, a
// C client, so that no Node CPU competes with PostgreSQL on this machine's two cores. Beside it,
// in the same run, pgbench replays the minimal transaction (guarded UPDATE + booking INSERT +
// outbox INSERT) as the physical limit.
//
// How: bookSlot runs once per citizen in a transaction that records each statement and is then
// rolled back; every citizen's statements must have the same texts, and their values go into a
// table, one row per citizen. The pgbench script takes the next citizen's row (\gset) and sends
// the recorded statements with those values, BEGIN to COMMIT, twice: one round trip per statement,
// and pipelined as the app sends them (statements the app sends before it has read an answer go
// out together, \startpipeline ... \endpipeline, and BEGIN with the first of them).
//
//   npx tsx bench/booking-sql.ts      (needs pgbench: apt-get install postgresql-client)
// Knobs: BENCH_CITIZENS (6000), BENCH_CONNECTIONS (40), BENCH_DAYS (3), BENCH_SHOW_SCRIPT=1 (print the pgbench scripts),
// BENCH_PLANS=auto (replay without the booking transaction's generic plans, as before they were set)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connectDatabase } from '../src/db/client.js';
import { settingsSqlFor, transaction } from '../src/db/transaction.js';
import { BOOKING_TRANSACTION, bookSlot } from '../src/features/booking/index.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';

const CITIZENS = Number(process.env.BENCH_CITIZENS ?? 6000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 40);
const DAYS = Number(process.env.BENCH_DAYS ?? 3);
// Every citizen gets a place (the replay has no "full, try another time" branch).
process.env.BENCH_SLOT_CAPACITY = String(Math.ceil(CITIZENS / (DAYS * 32)) + 1);
const { overbooked, seedCoreScenario } = await import('./booking-core.js');
const { benchDatabase, postgresCpuSeconds, reapedChildrenCpuSeconds } = await import('./support.js');

interface Recorded {
  text: string;
  values: unknown[];
  /** Statements of one round trip share it: the app sent them all before it read any answer. */
  trip?: number;
  /** The rows it returned (an id the next statements send back, such as the new booking's). */
  rows?: Record<string, unknown>[];
}

class Rollback extends Error {}

/** The statements bookSlot sends for one citizen, recorded and rolled back. */
async function recordBooking(db: ReturnType<typeof connectDatabase>, cardHolderId: number, slotId: number): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  let trip = 0;
  let answeredInTrip = true;
  await transaction(
    db,
    { type: 'citizen', id: String(cardHolderId) },
    async (tx) => {
      const recording = {
        ...tx,
        query: async <Row>(text: string, values: unknown[] = []) => {
          if (answeredInTrip) [trip, answeredInTrip] = [trip + 1, false];
          const statement: Recorded = { text, values, trip };
          recorded.push(statement);
          const rows = await tx.query<Row>(text, values);
          answeredInTrip = true;
          statement.rows = rows as Record<string, unknown>[];
          return rows;
        },
      };
      await bookSlot(recording, {
        slotId,
        cardHolderIds: [cardHolderId],
        channel: 'web',
        email: `c${cardHolderId}@example.jp`,
        language: 'ja',
        by: null,
        baseUrl: 'http://127.0.0.1',
      });
      throw new Rollback();
    },
    BOOKING_TRANSACTION,
  ).catch((error) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return recorded;
}

/** A value as PostgreSQL reads it from text (what pgbench sends). */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.map((item) => (item === null ? 'NULL' : `"${String(asText(item)).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

interface PgbenchRun {
  tps: number;
  latencies: string[];
  /** CPU per booking, in ms: PostgreSQL's processes, and pgbench's own. */
  cpu: { postgres: number; pgbench: number };
}

async function runPgbench(url: string, dataDir: string | undefined, script: string, transactions: number): Promise<PgbenchRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgbench-'));
  const file = path.join(dir, 'script.sql');
  await writeFile(file, script);
  if (process.env.BENCH_SHOW_SCRIPT) console.log(script);
  const target = new URL(url);
  const env = {
    ...process.env,
    PGHOST: target.searchParams.get('host') ?? target.hostname,
    PGPORT: target.searchParams.get('port') ?? target.port,
    PGUSER: decodeURIComponent(target.username),
    PGPASSWORD: decodeURIComponent(target.password),
    PGDATABASE: target.pathname.slice(1),
  };
  const before = { postgres: await postgresCpuSeconds(dataDir), pgbench: await reapedChildrenCpuSeconds() };
  const run = spawnSync('pgbench', ['-n', '-r', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-t', String(transactions), '-f', file], { env, encoding: 'utf8' });
  const perBooking = (seconds: number, was: number) => ((seconds - was) * 1000) / (transactions * CONNECTIONS);
  const cpu = { postgres: perBooking(await postgresCpuSeconds(dataDir), before.postgres), pgbench: perBooking(await reapedChildrenCpuSeconds(), before.pgbench) };
  await rm(dir, { recursive: true, force: true });
  const output = `${run.stdout}\n${run.stderr}`;
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]);
  if (run.status !== 0 || !Number.isFinite(tps)) throw new Error(`pgbench failed:\n${output}`);
  // -r: the average latency of each statement of the script, in ms, with its first words.
  const latencies = [...run.stdout.matchAll(/^\s+([\d.]+)\s+\d+\s+(.+)$/gm)].map((match) => `${match[1]} ms  ${match[2].replace(/\s+/g, ' ').slice(0, 70)}`);
  return { tps, latencies, cpu };
}

/** The values a statement sent (an array's items too), as text. */
const sentTexts = (statement: Recorded): string[] =>
  statement.values.flatMap((value) => (Array.isArray(value) ? [...value.map(asText), asText(value)] : [asText(value)])).filter((text) => text !== null);

interface Replay {
  /** One round trip per statement. */
  oneByOne: string;
  /** Pipelined as the app sent them; undefined when the recording has no round trips. */
  pipelined?: string;
  /** Round trips from BEGIN to COMMIT, one by one and pipelined. */
  trips: { oneByOne: number; pipelined?: number };
}

/** The per-citizen values as a table, and the scripts that book the next citizen with them. */
async function prepareReplay(client: pg.Client, name: string, recordings: Recorded[][], settings: string): Promise<Replay> {
  const [first] = recordings;
  for (const recording of recordings)
    if (recording.map((statement) => statement.text).join('\u0000') !== first.map((statement) => statement.text).join('\u0000'))
      throw new Error('citizens do not send the same statements');
  // pgbench's \gset makes a NULL an empty string: a value that is null for every citizen is written
  // into the statement as NULL instead (a value null for some only would be refused below).
  const alwaysNull = (s: number, k: number) => recordings.every((recording) => asText(recording[s].values[k]) === null);
  // A value a statement returned (one row, for every citizen) that the client had not sent itself
  // (a new booking's id), when a later statement sends it back, is taken from the replay's own
  // answer (\gset), not from the rolled-back recording. A returned value the client had sent (the
  // slot's id) is the same in the replay and comes from the table.
  const returned = new Map<string, string>(); // "s,k" of a later value -> the variable holding it
  const gsets = new Set<number>();
  first.forEach((statement, s0) => {
    if (!recordings.every((recording) => recording[s0].rows?.length === 1)) return;
    for (const column of Object.keys(statement.rows![0]).filter((name) => /^[a-z_][a-z0-9_]*$/.test(name)))
      first.forEach((later, s) => {
        if (s <= s0) return;
        later.values.forEach((_, k) => {
          const same = recordings.every((recording) => {
            const value = asText(recording[s].values[k]);
            return value !== null && value === asText(recording[s0].rows![0][column]) && !recording.slice(0, s0 + 1).some((sent) => sentTexts(sent).includes(value));
          });
          if (same && !returned.has(`${s},${k}`)) {
            returned.set(`${s},${k}`, `r${s0}_${column}`);
            gsets.add(s0);
          }
        });
      });
  });
  const columns = first.flatMap((statement, s) => statement.values.flatMap((_, k) => (alwaysNull(s, k) ? [] : [`p${s}_${k}`])));
  await client.query(`CREATE TABLE ${name} (n int PRIMARY KEY, ${columns.map((column) => `${column} text`).join(', ')})`);
  await client.query(`CREATE SEQUENCE ${name}_next`);
  const rows = recordings.map((recording, n) => [n + 1, ...recording.flatMap((statement, s) => statement.values.flatMap((value, k) => (alwaysNull(s, k) ? [] : [asText(value)])))]);
  if (rows.some((row) => row.includes(null))) throw new Error('a value is null for some citizens only');
  for (let start = 0; start < rows.length; start += 200) {
    const batch = rows.slice(start, start + 200);
    const width = columns.length + 1;
    await client.query(
      `INSERT INTO ${name} VALUES ${batch.map((_, r) => `(${Array.from({ length: width }, (__, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ')}`,
      batch.flat(),
    );
  }
  const value = (s: number, k: number) => (alwaysNull(s, k) ? 'NULL' : returned.has(`${s},${k}`) ? `:${returned.get(`${s},${k}`)}` : `:p${s}_${k}`);
  const line = (s: number) => `${first[s].text.replace(/\$(\d+)/g, (_, k) => value(s, Number(k) - 1)).trim()}${gsets.has(s) ? ` \\gset r${s}_` : ';'}`;
  const next = `SELECT r.* FROM (SELECT nextval('${name}_next')::int AS n) AS q JOIN ${name} r USING (n) \\gset`;
  const begin = ['BEGIN;', ...(settings ? [`${settings};`] : [])];
  const oneByOne = [next, ...begin, ...first.map((_, s) => line(s)), 'COMMIT;', ''].join('\n');
  const oneByOneTrips = first.length + begin.length + 1;
  if (first.some((statement) => statement.trip === undefined)) return { oneByOne, trips: { oneByOne: oneByOneTrips } };
  // pgbench cannot \gset inside a pipeline: a statement whose answer is used later goes after it.
  const trips = [...new Set(first.map((statement) => statement.trip!))];
  for (const trip of trips) {
    const last = first.findLastIndex((statement) => statement.trip === trip);
    if (first.some((statement, s) => statement.trip === trip && gsets.has(s) && s !== last)) throw new Error('an answer read later is not the last of its round trip');
  }
  // Each round trip: what goes out together (a pipeline when more than one), then what is read back.
  const roundTrips = trips.flatMap((trip, t) => {
    const statements = first.flatMap((statement, s) => (statement.trip === trip ? [s] : []));
    const together = [...(t === 0 ? begin : []), ...statements.filter((s) => !gsets.has(s)).map(line)];
    return [together, statements.filter((s) => gsets.has(s)).map(line)].filter((lines) => lines.length > 0);
  });
  roundTrips.push(['COMMIT;']);
  const pipelined = roundTrips.flatMap((lines) => (lines.length > 1 ? ['\\startpipeline', ...lines, '\\endpipeline'] : lines));
  return { oneByOne, pipelined: [next, ...pipelined, ''].join('\n'), trips: { oneByOne: oneByOneTrips, pipelined: roundTrips.length } };
}

/** Rows bookSlot wrote at a counter (and the audit rows of all its bookings), and the places' check. */
async function written(client: pg.Client, counterId: number): Promise<string> {
  const check = await overbooked(client, counterId);
  const [rows] = (
    await client.query<{ bookings: number; history: number; audit: number; outbox: number }>(
      `SELECT (SELECT count(*)::int FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE s.counter_id = $1) AS bookings,
              (SELECT count(*)::int FROM card_status_changes c JOIN card_holders h ON h.id = c.card_holder_id WHERE h.counter_id = $1) AS history,
              (SELECT count(*)::int FROM audit_logs a JOIN bookings b ON b.code = a.target_id JOIN slots s ON s.id = b.slot_id WHERE a.action = 'booking.create' AND s.counter_id = $1) AS audit,
              (SELECT count(*)::int FROM outbox_messages o JOIN bookings b ON b.id = o.booking_id JOIN slots s ON s.id = b.slot_id
                WHERE o.kind = 'booking.confirmation' AND jsonb_array_length(o.attachments) > 0 AND s.counter_id = $1) AS outbox`,
      [counterId],
    )
  ).rows;
  const used = Math.floor(CITIZENS / CONNECTIONS) * CONNECTIONS;
  if (Object.values(rows).some((count) => count !== used) || check.overbooked > 0 || check.mismatched > 0) process.exitCode = 1;
  return `rows written: ${rows.bookings} bookings, ${rows.history} card history, ${rows.audit} audit, ${rows.outbox} outbox with calendar file; overbooked ${check.overbooked}, counters disagreeing ${check.mismatched}`;
}

const cpuText = (run: PgbenchRun) => `CPU per booking: PostgreSQL ${run.cpu.postgres.toFixed(2)} ms, pgbench ${run.cpu.pgbench.toFixed(2)} ms`;

async function main(): Promise<void> {
  if (spawnSync('pgbench', ['--version']).status !== 0) {
    console.error('this bench needs pgbench: apt-get install postgresql-client');
    process.exit(1);
  }
  const { url, dataDir, stop } = await benchDatabase('booking-sql');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const firstDay = addDays(todayInJapan(), 7);
  const oneByOne = await seedCoreScenario(client, firstDay, 'one-by-one', CITIZENS);
  const piped = await seedCoreScenario(client, addDays(firstDay, DAYS + 1), 'pipelined', CITIZENS);
  const minimal = await seedCoreScenario(client, addDays(firstDay, 2 * (DAYS + 1)), 'minimal', CITIZENS);
  const transactions = Math.floor(CITIZENS / CONNECTIONS);
  const used = transactions * CONNECTIONS;
  // Scrambled, and booking ids far from the others: an id that a statement returned is told from
  // an equal id of something else by its value for every citizen (no citizen's may coincide).
  const slotOf = (scenario: typeof piped, i: number) => scenario.slotIds[(i * 7 + 3) % scenario.slotIds.length];
  await client.query(`SELECT setval('bookings_id_seq', 10000000)`);

  const db = connectDatabase(url, 4);
  const record = async (scenario: typeof piped) => {
    const recordings: Recorded[][] = [];
    for (const [i, holder] of scenario.citizens.slice(0, used).entries()) recordings.push(await recordBooking(db, holder, slotOf(scenario, i)));
    return recordings;
  };
  const [oneByOneRecordings, pipedRecordings] = [await record(oneByOne), await record(piped)];
  await db.close();
  // What the transaction helper sends with BEGIN for BOOKING_TRANSACTION, each citizen as the actor.
  const options = process.env.BENCH_PLANS === 'auto' ? { models: false as const } : BOOKING_TRANSACTION;
  const settings = settingsSqlFor({ type: 'citizen', id: 'ACTOR' }, options).replace("'citizen:ACTOR'", "'citizen:' || (:p0_0::int[])[1]");
  if (!settings.includes(':p0_0')) throw new Error('the settings do not name the actor as this bench expects');
  const oneByOneScripts = await prepareReplay(client, 'replay_one_by_one', oneByOneRecordings, settings);
  const pipedScripts = await prepareReplay(client, 'replay_pipelined', pipedRecordings, settings);

  const minimalRecordings = minimal.citizens.slice(0, used).map((holder, i) => {
    const code = `M${String(i).padStart(7, '0')}`;
    return [
      { text: `UPDATE slots SET booked = booked + 1, updated_at = now() WHERE id = $1::int AND booked + 1 <= capacity - reserved_capacity`, values: [slotOf(minimal, i)] },
      {
        text: `INSERT INTO bookings (code, slot_id, card_holder_id, group_code, status, channel, email, created_by, updated_at) VALUES ($1, $2::int, $3::int, $1, 'active', 'web', $4, $5, now())`,
        values: [code, slotOf(minimal, i), holder, `c${holder}@example.jp`, `citizen:${holder}`],
      },
      {
        text: `INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, booking_id) VALUES ($1, 'booking.confirmation', $2, '予約完了', '本文', (SELECT id FROM bookings WHERE code = $3))`,
        values: [`booking:${code}:confirmation:new`, `c${holder}@example.jp`, code],
      },
    ];
  });
  const minimalScripts = await prepareReplay(client, 'replay_minimal', minimalRecordings, '');

  const pgbenchVersion = spawnSync('pgbench', ['--version']).stdout.toString().trim().split(' ').pop();
  console.log(
    `booking transaction in SQL: ${used} citizens per run, the statements bookSlot sent for each (${pipedRecordings[0].length} statements + BEGIN/settings/COMMIT), replayed by pgbench ${pgbenchVersion} with ${CONNECTIONS} connections, ${os.cpus().length} CPUs`,
  );
  const limit = await runPgbench(url, dataDir, minimalScripts.oneByOne, transactions);
  // Statistics of a city in operation: the minimal run's bookings are in the tables. Analysed
  // while empty instead, PostgreSQL would take bookings for an empty table and plan bookSlot's
  // lookups as scans of all of them.
  await client.query('ANALYZE');
  const plain = await runPgbench(url, dataDir, oneByOneScripts.oneByOne, transactions);
  const pipelined = await runPgbench(url, dataDir, pipedScripts.pipelined!, transactions);
  console.log(
    `  (a) minimal transaction (guarded UPDATE + booking INSERT + outbox INSERT), ${minimalScripts.trips.oneByOne} round trips: ${limit.tps.toFixed(0)} bookings/s; ${cpuText(limit)}`,
  );
  console.log(
    `  (b) bookSlot's statements, one round trip each (${oneByOneScripts.trips.oneByOne}): ${plain.tps.toFixed(0)} bookings/s; ratio to (a) ${(plain.tps / limit.tps).toFixed(2)}; ${cpuText(plain)}\n      ${await written(client, oneByOne.counterId)}`,
  );
  console.log(
    `  (c) bookSlot's statements pipelined as the app sends them, ${pipedScripts.trips.pipelined} round trips: ${pipelined.tps.toFixed(0)} bookings/s (aim >= 1,000); ratio to (a) ${(pipelined.tps / limit.tps).toFixed(2)}; ${cpuText(pipelined)}\n      ${await written(client, piped.counterId)}`,
  );
  console.log(`  where (b)'s time goes (pgbench -r, average per statement, ${CONNECTIONS} clients at once):\n    ${plain.latencies.join('\n    ')}`);
  await client.end();
  await stop();
}

await main();
