// Rolling restart drill (issue 17.3): two app processes (the production build, as `npm start`
// runs it) behind HAProxy, which checks /readyz; citizens keep booking through HAProxy (the
// booking storm's journeys: log in, day, hold, email, review, book) while each process in turn
// gets SIGTERM, drains (/readyz says no, requests still served for SHUTDOWN_DRAIN_SECONDS),
// exits and is started again. Prints the journeys and how many failed (an answer the journey
// did not expect, or none): the aim is 0, with 0 overbooked.
//
//   apt-get install haproxy    (Debian's package; once)
//   npm run build && npx tsx bench/rolling-restart.ts
// Knobs: BENCH_CLIENTS (citizens at once, 100), BENCH_CITIZENS (3000), BENCH_SLOT_CAPACITY (24),
//        BENCH_DRAIN_SECONDS (3)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrator.js';
import pg from 'pg';
import { addDays, todayInJapan } from '../src/lib/jst.js';
import { overbooked } from './booking-core.js';
import { benchDatabase, ready, startApp } from './support.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
process.env.BENCH_CITIZENS ??= '3000';
process.env.BENCH_SLOT_CAPACITY ??= '24';
// The storm reads its knobs when loaded, so after the defaults above.
const storm = await import('./booking-storm.js');
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 3);
const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((file) => spawnSync(file, ['-v']).status === 0);

function haproxyConfig(front: number, backs: number[]): string {
  return `global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  retry-on conn-failure empty-response
frontend citizens
  bind 127.0.0.1:${front}
  default_backend app
backend app
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  # A busy process answers its check late: that is not a reason to take it out.
  timeout check 3s
  default-server inter 500ms fall 2 rise 2
${backs.map((port, i) => `  server app${i + 1} 127.0.0.1:${port} check`).join('\n')}
`;
}

async function main(): Promise<void> {
  if (!HAPROXY) {
    console.error('HAProxy is needed for this drill: apt-get install haproxy');
    process.exit(1);
  }
  const database = await benchDatabase('rolling');
  await applyMigrations(database.url);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const scenario = await storm.seed(client, addDays(todayInJapan(), 7), 'http');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rolling-'));
  const [front, ...backs] = [await freePort(), await freePort(), await freePort()];
  await writeFile(path.join(dir, 'haproxy.cfg'), haproxyConfig(front, backs));
  const apps = backs.map((port) => startApp(database.url, port, DRAIN_SECONDS));
  await Promise.all(backs.map((port) => ready(port)));
  console.log('both app processes ready');
  const haproxy = spawn(HAPROXY, ['-f', path.join(dir, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await ready(front);
  console.log('HAProxy ready');

  const requestTimes: number[] = [];
  const outcomes = { booked: 0, full: 0, error: 0 };
  const waiting = [...scenario.citizens];
  const base = `http://127.0.0.1:${front}`;
  const citizens = Array.from({ length: CLIENTS }, async () => {
    for (let person = waiting.shift(); person; person = waiting.shift()) {
      outcomes[await storm.citizenJourney(base, scenario, person, requestTimes).catch(() => 'error' as const)] += 1;
    }
  });

  await sleep(3_000);
  const restarts: number[] = [];
  for (const [i, port] of backs.entries()) {
    const started = performance.now();
    apps[i].child.kill('SIGTERM');
    const code = await apps[i].exited;
    if (code !== 0) throw new Error(`app ${i + 1} exited with ${code}`);
    apps[i] = startApp(database.url, port, DRAIN_SECONDS);
    await ready(port);
    await sleep(1_000); // HAProxy's rise: two good checks
    restarts.push((performance.now() - started) / 1000);
    console.log(`app ${i + 1} restarted`);
  }
  const restartsDone = waiting.length;
  await Promise.all(citizens);
  const check = await overbooked(client, scenario.counterId);

  requestTimes.sort((a, b) => a - b);
  const p = (q: number) => requestTimes[Math.min(requestTimes.length - 1, Math.floor(q * requestTimes.length))].toFixed(1);
  console.log(
    `rolling restart: 2 app processes behind HAProxy ${spawnSync(HAPROXY, ['-v']).stdout.toString().split('\n')[0].split(' ')[2]}, ${scenario.citizens.length} citizens booking, ${CLIENTS} at once, drain ${DRAIN_SECONDS} s`,
  );
  console.log(
    `  each process: SIGTERM to ready again and back in HAProxy in ${restarts.map((s) => s.toFixed(1)).join(' s and ')} s; ${restartsDone} citizens were still waiting to start when both had restarted`,
  );
  console.log(`  journeys: ${outcomes.booked} booked, ${outcomes.full} found no free time, ${outcomes.error} failed; requests: ${requestTimes.length}`);
  console.log(`  request latency ms: p50 ${p(0.5)}  p99 ${p(0.99)}  max ${p(1)}`);
  console.log(`  overbooked slots: ${check.overbooked}, slots whose counter disagrees with bookings + holds: ${check.mismatched}`);
  const failed = outcomes.error + check.overbooked + check.mismatched;

  await client.end();
  haproxy.kill('SIGTERM');
  for (const app of apps) app.child.kill('SIGTERM');
  await Promise.all(apps.map((app) => app.exited));
  await database.stop();
  await rm(dir, { recursive: true, force: true });
  if (failed > 0) process.exitCode = 1;
}

await main();
