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
// the recorded statements with those values, BEGIN to COMMIT, one round trip each (no pipelining).
//
//   npx tsx bench/booking-sql.ts      (needs pgbench: apt-get install postgresql-client)
// Knobs: BENCH_CITIZENS (1500), BENCH_CONNECTIONS (40), BENCH_DAYS (3), BENCH_SHOW_SCRIPT=1 (print the pgbench scripts)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connectDatabase } from '../src/db/client.js';
import { transaction } from '../src/db/transaction.js';
import { bookSlot } from '../src/features/booking/index.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';

const CITIZENS = Number(process.env.BENCH_CITIZENS ?? 1500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 40);
const DAYS = Number(process.env.BENCH_DAYS ?? 3);
// Every citizen gets a place (the replay has no "full, try another time" branch).
process.env.BENCH_SLOT_CAPACITY = String(Math.ceil(CITIZENS / (DAYS * 32)) + 1);
const { overbooked, seedCoreScenario } = await import('./booking-core.js');
const { benchDatabase } = await import('./support.js');

interface Recorded {
  text: string;
  values: unknown[];
  /** The rows it returned (an id the next statements send back, such as the new booking's). */
  rows?: Record<string, unknown>[];
}

class Rollback extends Error {}

/** The statements bookSlot sends for one citizen, recorded and rolled back. */
async function recordBooking(db: ReturnType<typeof connectDatabase>, cardHolderId: number, slotId: number): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  await transaction(
    db,
    { type: 'citizen', id: String(cardHolderId) },
    async (tx) => {
      const recording = {
        ...tx,
        query: async <Row>(text: string, values: unknown[] = []) => {
          const statement: Recorded = { text, values };
          recorded.push(statement);
          const rows = await tx.query<Row>(text, values);
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
    { models: false },
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

async function runPgbench(url: string, script: string, transactions: number): Promise<{ tps: number; output: string; latencies: string[] }> {
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
  const run = spawnSync('pgbench', ['-n', '-r', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-t', String(transactions), '-f', file], { env, encoding: 'utf8' });
  await rm(dir, { recursive: true, force: true });
  const output = `${run.stdout}\n${run.stderr}`;
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]);
  if (run.status !== 0 || !Number.isFinite(tps)) throw new Error(`pgbench failed:\n${output}`);
  // -r: the average latency of each statement of the script, in ms, with its first words.
  const latencies = [...run.stdout.matchAll(/^\s+([\d.]+)\s+\d+\s+(.+)$/gm)].map((match) => `${match[1]} ms  ${match[2].replace(/\s+/g, ' ').slice(0, 70)}`);
  return { tps, output, latencies };
}

/** The per-citizen values as a table, and the script that books the next citizen with them. */
async function prepareReplay(client: pg.Client, name: string, recordings: Recorded[][], begin: string): Promise<string> {
  const [first] = recordings;
  for (const recording of recordings)
    if (recording.map((statement) => statement.text).join('\u0000') !== first.map((statement) => statement.text).join('\u0000'))
      throw new Error('citizens do not send the same statements');
  // pgbench's \gset makes a NULL an empty string: a value that is null for every citizen is written
  // into the statement as NULL instead (a value null for some only would be refused below).
  const alwaysNull = (s: number, k: number) => recordings.every((recording) => asText(recording[s].values[k]) === null);
  // A value a statement returned (one row, for every citizen) and a later one sends back is taken
  // from the replay's own answer (\gset), not from the rolled-back recording.
  const returned = new Map<string, string>(); // "s,k" of a later value -> the variable holding it
  const gsets = new Set<number>();
  first.forEach((statement, s0) => {
    if (!recordings.every((recording) => recording[s0].rows?.length === 1)) return;
    for (const column of Object.keys(statement.rows![0]).filter((name) => /^[a-z_][a-z0-9_]*$/.test(name)))
      first.forEach((later, s) => {
        if (s <= s0) return;
        later.values.forEach((_, k) => {
          const same = recordings.every((recording) => asText(recording[s].values[k]) !== null && asText(recording[s].values[k]) === asText(recording[s0].rows![0][column]));
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
  const statements = first.map((statement, s) => `${statement.text.replace(/\$(\d+)/g, (_, k) => value(s, Number(k) - 1)).trim()}${gsets.has(s) ? ` \\gset r${s}_` : ';'}`);
  return [`SELECT nextval('${name}_next') AS n \\gset`, `SELECT * FROM ${name} WHERE n = :n \\gset`, `${begin};`, ...statements, 'COMMIT;', ''].join('\n');
}

async function main(): Promise<void> {
  if (spawnSync('pgbench', ['--version']).status !== 0) {
    console.error('this bench needs pgbench: apt-get install postgresql-client');
    process.exit(1);
  }
  const { url, stop } = await benchDatabase('booking-sql');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const firstDay = addDays(todayInJapan(), 7);
  const core = await seedCoreScenario(client, firstDay, 'core', CITIZENS);
  const minimal = await seedCoreScenario(client, addDays(firstDay, DAYS + 1), 'minimal', CITIZENS);
  const transactions = Math.floor(CITIZENS / CONNECTIONS);
  const used = transactions * CONNECTIONS;
  // Scrambled, and booking ids far from the others: an id that a statement returned is told from
  // an equal id of something else by its value for every citizen (no citizen's may coincide).
  const slotOf = (scenario: typeof core, i: number) => scenario.slotIds[(i * 7 + 3) % scenario.slotIds.length];
  await client.query(`SELECT setval('bookings_id_seq', 10000000)`);

  const db = connectDatabase(url, 4);
  const recordings: Recorded[][] = [];
  for (const [i, holder] of core.citizens.slice(0, used).entries()) recordings.push(await recordBooking(db, holder, slotOf(core, i)));
  await db.close();
  const actor = (n: string) => `SELECT set_config('app.actor', 'citizen:' || ${n}, true), set_config('statement_timeout', '20000ms', true)`;
  const bookScript = await prepareReplay(client, 'replay_book', recordings, `BEGIN;\n${actor(':p0_0')}`);

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
  const minimalScript = await prepareReplay(client, 'replay_minimal', minimalRecordings, 'BEGIN');
  await client.query('ANALYZE');

  console.log(
    `booking transaction in SQL: ${used} citizens, the statements bookSlot sent for each (${recordings[0].length} statements + BEGIN/settings/COMMIT), replayed by pgbench ${spawnSync('pgbench', ['--version']).stdout.toString().trim().split(' ').pop()} with ${CONNECTIONS} connections, one round trip per statement, ${os.cpus().length} CPUs`,
  );
  const limit = await runPgbench(url, minimalScript, transactions);
  const booking = await runPgbench(url, bookScript, transactions);
  const check = await overbooked(client, core.counterId);
  const [rows] = (
    await client.query<{ bookings: number; history: number; audit: number; outbox: number }>(
      `SELECT (SELECT count(*)::int FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE s.counter_id = $1) AS bookings,
              (SELECT count(*)::int FROM card_status_changes c JOIN card_holders h ON h.id = c.card_holder_id WHERE h.counter_id = $1) AS history,
              (SELECT count(*)::int FROM audit_logs WHERE action = 'booking.create') AS audit,
              (SELECT count(*)::int FROM outbox_messages WHERE kind = 'booking.confirmation' AND jsonb_array_length(attachments) > 0) AS outbox`,
      [core.counterId],
    )
  ).rows;
  console.log(`  (a) minimal transaction (guarded UPDATE + booking INSERT + outbox INSERT): ${limit.tps.toFixed(0)} bookings/s`);
  console.log(
    `  (b) bookSlot's statements: ${booking.tps.toFixed(0)} bookings/s (aim >= 1,000); ratio to (a) ${(booking.tps / limit.tps).toFixed(2)}; rows written: ${rows.bookings} bookings, ${rows.history} card history, ${rows.audit} audit, ${rows.outbox} outbox with calendar file; overbooked ${check.overbooked}, counters disagreeing ${check.mismatched}`,
  );
  console.log(`  where (b)'s time goes (pgbench -r, average per statement, ${CONNECTIONS} clients at once):\n    ${booking.latencies.join('\n    ')}`);
  await client.end();
  await stop();
  if (rows.bookings !== used || check.overbooked > 0 || check.mismatched > 0) process.exitCode = 1;
}

await main();
