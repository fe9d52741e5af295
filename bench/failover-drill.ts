// Failover drill (issue 17.2): PostgreSQL as a Patroni cluster of two nodes (a primary and a
// streaming replica in synchronous mode) with etcd as Patroni's store and HAProxy routing the
// app's connections to whichever node Patroni's REST API calls the primary. Two app processes
// (the production build, as `npm start` runs it) reach the database only through HAProxy. While
// citizens book, the primary's host is lost (Patroni and PostgreSQL killed with SIGKILL): the
// replica is promoted, HAProxy follows it, the app processes reconnect without a restart.
// Prints the time writes were unavailable and checks that every booking the app acknowledged is
// on the new primary (0 lost), with 0 overbooked.
//
//   apt-get install patroni etcd-server postgresql haproxy   (Debian's packages; once)
//   npm run build && npx tsx bench/failover-drill.ts
// Knobs: BENCH_CLIENTS (citizens at once, 60), BENCH_CITIZENS (2000), BENCH_SLOT_CAPACITY (24),
//        BENCH_KILL_AFTER (seconds of booking before the primary is lost, 5), BENCH_TTL (Patroni's
//        leader lease in seconds, 10), BENCH_VERBOSE=1 (Patroni's and PostgreSQL's logs),
//        BENCH_SWITCHOVER=1 (a planned switchover to the standby instead of losing the primary)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ensureDatabase, freePort } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrator.js';
import { addDays, todayInJapan } from '../src/lib/jst.js';
import { overbooked } from './booking-core.js';
import { get, ready, startApp } from './support.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 60);
process.env.BENCH_CITIZENS ??= '2000';
process.env.BENCH_SLOT_CAPACITY ??= '24';
// The storm reads its knobs when loaded, so after the defaults above.
const storm = await import('./booking-storm.js');
const KILL_AFTER_SECONDS = Number(process.env.BENCH_KILL_AFTER ?? 5);
const TTL_SECONDS = Number(process.env.BENCH_TTL ?? 10);
/** BENCH_SWITCHOVER=1: a planned switchover (patching the primary's host) instead of losing it. */
const SWITCHOVER = Boolean(process.env.BENCH_SWITCHOVER);
const PASSWORD = 'drill-superuser-pw';
/** A citizen whose step failed (the 503 page while there is no primary) starts again a second later, for up to 30 s. */
const JOURNEY_TRIES = 30;

// ---------------------------------------------------------------- the tools (Debian's packages)
const which = (name: string) => spawnSync('which', [name]).stdout.toString().trim() || undefined;

async function postgresBinDir(): Promise<string | undefined> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => b - a)[0];
  return newest ? `/usr/lib/postgresql/${newest}/bin` : undefined;
}

// ---------------------------------------------------------------- etcd, Patroni, HAProxy
interface Node {
  name: string;
  dir: string;
  pgPort: number;
  apiPort: number;
  patroni?: ChildProcess;
}

function startEtcd(dir: string, clientPort: number, peerPort: number): ChildProcess {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return spawn(
    which('etcd')!,
    [
      ...['--name', 'etcd1', '--data-dir', path.join(dir, 'etcd')],
      ...['--listen-client-urls', client, '--advertise-client-urls', client],
      ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `etcd1=${peer}`],
    ],
    { stdio: 'ignore' },
  );
}

function patroniConfig(node: Node, etcdPort: number, binDir: string): string {
  return `scope: booking-drill
name: ${node.name}
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:${node.apiPort}
  connect_address: 127.0.0.1:${node.apiPort}
etcd3:
  hosts: 127.0.0.1:${etcdPort}
bootstrap:
  dcs:
    ttl: ${TTL_SECONDS}
    loop_wait: 1
    retry_timeout: ${Math.floor((TTL_SECONDS - 1) / 2)}
    maximum_lag_on_failover: 1048576
    # A commit is acknowledged only once the synchronous standby has it, and only that standby
    # may be promoted: an acknowledged booking survives the loss of the primary.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        max_connections: 200
        hot_standby: 'on'
        wal_keep_size: 256MB
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:${node.pgPort}
  connect_address: 127.0.0.1:${node.pgPort}
  data_dir: ${path.join(node.dir, 'data')}
  bin_dir: ${binDir}
  pgpass: ${path.join(node.dir, 'pgpass')}
  authentication:
    superuser: { username: postgres, password: ${PASSWORD} }
    replication: { username: replicator, password: drill-replication-pw }
  parameters:
    unix_socket_directories: ${node.dir}
`;
}

/** Patroni runs PostgreSQL, which refuses to run as root: both run as Debian's postgres user. */
async function startPatroni(node: Node, etcdPort: number, binDir: string, owner: { uid: number; gid: number }): Promise<void> {
  await mkdir(node.dir, { recursive: true, mode: 0o700 });
  const config = path.join(node.dir, 'patroni.yml');
  await writeFile(config, patroniConfig(node, etcdPort, binDir));
  await chown(node.dir, owner.uid, owner.gid);
  await chown(config, owner.uid, owner.gid);
  // Its log and PostgreSQL's go to the console only when asked for: BENCH_VERBOSE=1.
  const output = process.env.BENCH_VERBOSE ? 'inherit' : 'ignore';
  node.patroni = spawn(which('patroni')!, [config], { ...owner, cwd: node.dir, stdio: ['ignore', output, output], env: { PATH: process.env.PATH } });
}

/** Loses the node's host: Patroni, the postmaster and every backend, all at once. */
async function killNode(node: Node): Promise<void> {
  const postmaster = Number((await readFile(path.join(node.dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const children = spawnSync('pgrep', ['-P', String(postmaster)])
    .stdout.toString()
    .split('\n')
    .filter(Boolean)
    .map(Number);
  for (const pid of [node.patroni!.pid!, postmaster, ...children]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function haproxyConfig(front: number, nodes: Node[]): string {
  return `global
  maxconn 1000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 2s
listen primary
  bind 127.0.0.1:${front}
  # Patroni's REST API answers 200 on /primary only on the node that holds the leader lock.
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${nodes.map((node) => `  server ${node.name} 127.0.0.1:${node.pgPort} maxconn 200 check port ${node.apiPort}`).join('\n')}
`;
}

async function leaderOf(nodes: Node[]): Promise<Node | undefined> {
  for (const node of nodes) if ((await get(node.apiPort, '/primary')) === 200) return node;
  return undefined;
}

// ---------------------------------------------------------------- the measurements
/** Tries a write through HAProxy on a new connection every 100 ms; the moments it worked. */
function writeProbe(url: string) {
  const successes: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT pg_current_xact_id()'); // fails on a standby: it cannot write
        successes.push(performance.now());
      } catch {
        // no writable primary behind HAProxy at this moment
      }
      await client.end().catch(() => {});
      await sleep(100);
    }
  })();
  return { successes, stop: () => ((running = false), done) };
}

/** Citizens book through the two app processes; one whose step fails starts again, as a person would. */
function citizensBooking(bases: string[], scenario: Awaited<ReturnType<typeof storm.seed>>, hasBooking: (cardHolderId: number) => Promise<boolean>) {
  const acknowledged = new Map<number, number>(); // card holder -> when the app said "booked"
  const outcomes = { booked: 0, full: 0, failedSteps: 0, gaveUp: 0, foundBooked: 0 };
  const requestTimes: number[] = [];
  const waiting = [...scenario.citizens];
  const done = Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let person = waiting.shift(); person; person = waiting.shift()) {
        for (let attempt = 1; ; attempt += 1) {
          const outcome = await storm.citizenJourney(bases[client % bases.length], scenario, person, requestTimes).catch(() => 'error' as const);
          if (outcome === 'booked') acknowledged.set(person.id, performance.now());
          if (outcome !== 'error') {
            outcomes[outcome] += 1;
            break;
          }
          outcomes.failedSteps += 1;
          // The answer was lost but the booking committed: logging in again, the person sees it.
          if (await hasBooking(person.id).catch(() => false)) {
            outcomes.foundBooked += 1;
            break;
          }
          if (attempt === JOURNEY_TRIES) {
            outcomes.gaveUp += 1;
            break;
          }
          await sleep(1_000);
        }
      }
    }),
  );
  return { acknowledged, outcomes, requestTimes, done };
}

/** Acknowledged bookings missing from the database, and bookings the app committed without saying so. */
async function lostBookings(client: pg.Client, counterId: number, acknowledged: Map<number, number>) {
  const rows = await client.query<{ card_holder_id: number }>(
    `SELECT DISTINCT b.card_holder_id FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE s.counter_id = $1 AND b.status = 'active'`,
    [counterId],
  );
  const stored = new Set(rows.rows.map((row) => row.card_holder_id));
  const lost = [...acknowledged.keys()].filter((id) => !stored.has(id)).length;
  return { lost, stored: stored.size, unacknowledged: [...stored].filter((id) => !acknowledged.has(id)).length };
}

// ---------------------------------------------------------------- the drill
async function main(): Promise<void> {
  const binDir = await postgresBinDir();
  const missing = [
    ['patroni', which('patroni')],
    ['etcd', which('etcd')],
    ['haproxy', which('haproxy')],
    ['PostgreSQL', binDir],
  ].filter(([, found]) => !found);
  if (missing.length > 0) {
    console.error(`this drill needs ${missing.map(([name]) => name).join(', ')}: apt-get install patroni etcd-server postgresql haproxy`);
    process.exit(1);
  }
  const owner = { uid: Number(spawnSync('id', ['-u', 'postgres']).stdout), gid: Number(spawnSync('id', ['-g', 'postgres']).stdout) };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'failover-'));
  await chown(dir, owner.uid, owner.gid);
  const [etcdPort, peerPort, front, ...appPorts] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const nodes: Node[] = [];
  for (const name of ['pg1', 'pg2']) nodes.push({ name, dir: path.join(dir, name), pgPort: await freePort(), apiPort: await freePort() });
  const etcd = startEtcd(dir, etcdPort, peerPort);
  const haproxyFile = path.join(dir, 'haproxy.cfg');
  await writeFile(haproxyFile, haproxyConfig(front, nodes));
  const haproxy = spawn(which('haproxy')!, ['-f', haproxyFile, '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const apps: ReturnType<typeof startApp>[] = [];
  try {
    await sleep(1_000);
    await startPatroni(nodes[0], etcdPort, binDir!, owner);
    await ready(nodes[0].apiPort, '/primary', 60);
    await startPatroni(nodes[1], etcdPort, binDir!, owner);
    // The replica is streaming and is the synchronous standby: Patroni's /sync says so.
    await ready(nodes[1].apiPort, '/sync', 120);
    const version = spawnSync(path.join(binDir!, 'postgres'), ['--version']).stdout.toString().trim();
    console.log(`cluster ready: ${nodes.map((n) => n.name).join(' + ')} (${version}), primary ${nodes[0].name}, synchronous standby ${nodes[1].name}`);

    const serverUrl = `postgresql://postgres:${PASSWORD}@127.0.0.1:${front}/postgres`;
    const url = await ensureDatabase(serverUrl, 'booking');
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const scenario = await storm.seed(client, addDays(todayInJapan(), 7), 'http');
    await client.end();

    for (const port of appPorts) apps.push(startApp(url, port, 1));
    await Promise.all(appPorts.map((port) => ready(port)));
    const probe = writeProbe(url);
    const lookup = new pg.Pool({ connectionString: url, max: 2 });
    lookup.on('error', () => {});
    const hasBooking = async (cardHolderId: number) =>
      (await lookup.query(`SELECT 1 FROM bookings WHERE card_holder_id = $1 AND status = 'active'`, [cardHolderId])).rowCount === 1;
    const booking = citizensBooking(
      appPorts.map((port) => `http://127.0.0.1:${port}`),
      scenario,
      hasBooking,
    );

    await sleep(KILL_AFTER_SECONDS * 1_000);
    const primary = (await leaderOf(nodes))!;
    const bookedBefore = booking.acknowledged.size;
    const survivor = nodes.find((node) => node !== primary)!;
    const killedAt = performance.now();
    if (SWITCHOVER) {
      // Planned: Patroni hands the leader role to the standby, the old primary becomes its replica.
      const answer = await fetch(`http://127.0.0.1:${primary.apiPort}/switchover`, { method: 'POST', body: JSON.stringify({ leader: primary.name, candidate: survivor.name }) });
      console.log(`switchover from ${primary.name} to ${survivor.name} asked (Patroni answered ${answer.status}) after ${bookedBefore} acknowledged bookings`);
    } else {
      await killNode(primary);
      console.log(`${primary.name} lost (Patroni and PostgreSQL killed with SIGKILL) after ${bookedBefore} acknowledged bookings`);
    }
    await ready(survivor.apiPort, '/primary', TTL_SECONDS * 3);
    const promotedAt = performance.now();
    await booking.done;
    await probe.stop();
    await lookup.end();

    const firstWrite = probe.successes.find((t) => t > killedAt);
    // The longest time without a successful write around the event (the probe writes every 100 ms).
    const around = probe.successes.filter((t) => t > killedAt - 2_000);
    const longestGap = Math.max(0, ...around.slice(1).map((t, i) => t - around[i]));
    const firstBooking = Math.min(...[...booking.acknowledged.values()].filter((t) => t > promotedAt));
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const lost = await lostBookings(check, scenario.counterId, booking.acknowledged);
    const slots = await overbooked(check, scenario.counterId);
    await check.end();

    const seconds = (t: number | undefined) => (t === undefined || !Number.isFinite(t) ? 'never' : `${((t - killedAt) / 1000).toFixed(1)} s`);
    const { outcomes } = booking;
    console.log(
      `failover drill: ${scenario.citizens.length} citizens, ${CLIENTS} at once, through 2 app processes -> HAProxy -> Patroni (${TTL_SECONDS} s leader lease, synchronous mode)`,
    );
    console.log(
      `  after the primary ${SWITCHOVER ? 'was asked to hand over' : 'was lost'}: ${survivor.name} promoted in ${seconds(promotedAt)}; the first write through HAProxy ${seconds(firstWrite)}, writes impossible for ${(longestGap / 1000).toFixed(1)} s at most; the first booking acknowledged by the app ${seconds(firstBooking)}`,
    );
    console.log(
      `  journeys: ${outcomes.booked} booked, ${outcomes.full} found no free time, ${outcomes.gaveUp} gave up; ${outcomes.failedSteps} steps failed (the 503 page); ${outcomes.foundBooked} found their booking made although its answer was lost`,
    );
    console.log(
      `  acknowledged bookings: ${booking.acknowledged.size}; missing on the new primary: ${lost.lost} (aim 0); committed without an acknowledgement: ${lost.unacknowledged}`,
    );
    console.log(`  overbooked slots: ${slots.overbooked}, slots whose counter disagrees with bookings + holds: ${slots.mismatched}`);
    if (lost.lost + slots.overbooked + slots.mismatched + outcomes.gaveUp > 0) process.exitCode = 1;
  } finally {
    for (const app of apps) app.child.kill('SIGTERM');
    await Promise.all(apps.map((app) => app.exited));
    haproxy.kill('SIGTERM');
    for (const node of nodes) node.patroni?.kill('SIGTERM');
    await sleep(3_000);
    for (const node of nodes) await killNode(node).catch(() => {});
    etcd.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
