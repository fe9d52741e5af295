// npx tsx bench/schedule.ts — generates a year of slots for the example city
// (examples/schedule/large-city.yaml) and times the month capacity view of the busiest counter.
// Starts its own throw-away embedded PostgreSQL unless BENCH_DATABASE_URL is set.
import { benchDatabase } from './support.js';
import { readFile } from 'node:fs/promises';
import { connectDatabase } from '../src/db/client.js';
import { transaction } from '../src/db/transaction.js';
import { monthCapacity } from '../src/features/schedule/capacity.js';
import { loadSetup, parseSetupFile, SETUP_TIMEOUT_MS } from '../src/features/schedule/setup-file.js';
import { regenerateSlots } from '../src/features/schedule/slot-generation.js';
import { addDays } from '../src/lib/jst.js';

const FROM = '2027-04-01';
const TO = addDays('2028-04-01', -1);
const VIEW_RUNS = 30;
const BENCH = { type: 'system', id: 'bench' } as const;

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

const server = await benchDatabase('schedule');
const db = connectDatabase(server.url, 4);
try {
  const parsed = parseSetupFile(await readFile('examples/schedule/large-city.yaml', 'utf8'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  await transaction(db, BENCH, (tx) => loadSetup(tx, parsed.setup, FROM), { timeoutMs: SETUP_TIMEOUT_MS });
  await db.pool.query('DELETE FROM slot_conflicts');
  await db.pool.query('DELETE FROM slots');

  let start = process.hrtime.bigint();
  const first = await transaction(db, BENCH, (tx) => regenerateSlots(tx, FROM, TO), { timeoutMs: 600_000 });
  const firstMs = ms(start);
  start = process.hrtime.bigint();
  const second = await transaction(db, BENCH, (tx) => regenerateSlots(tx, FROM, TO), { timeoutMs: 600_000 });
  const secondMs = ms(start);
  const slots = (await db.pool.query('SELECT count(*)::int AS n FROM slots')).rows[0].n as number;

  const busiest = (await db.pool.query(`SELECT counter_id, sum(capacity)::int AS capacity FROM slots GROUP BY counter_id ORDER BY capacity DESC LIMIT 1`)).rows[0];
  const code = (await db.prisma.counter.findUniqueOrThrow({ where: { id: busiest.counter_id } })).code;
  const timings: number[] = [];
  for (let run = 0; run < VIEW_RUNS; run += 1) {
    start = process.hrtime.bigint();
    await monthCapacity(db.prisma, busiest.counter_id, '2027-07');
    timings.push(ms(start));
  }

  console.log(`year of slots ${FROM}..${TO}: ${slots} slots for 13 counters`);
  console.log(`  first generation : ${firstMs.toFixed(0)} ms, ${Math.round(first.written / (firstMs / 1000))} slots/s (${first.written} written)`);
  console.log(`  regeneration, no change: ${secondMs.toFixed(0)} ms, ${Math.round(slots / (secondMs / 1000))} slots checked/s (${second.written} written)`);
  console.log(
    `month capacity view, busiest counter (${code}, 2027-07), ${VIEW_RUNS} runs: median ${percentile(timings, 0.5).toFixed(1)} ms, p95 ${percentile(timings, 0.95).toFixed(1)} ms`,
  );
} finally {
  await db.close();
  await server.stop();
}
