// What every benchmark needs first: a fresh, migrated database. On BENCH_DATABASE_URL's server
// when set, otherwise on a throw-away embedded PostgreSQL in a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrator.js';
import bcrypt from 'bcrypt';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/client.js';

export interface BenchDatabase {
  url: string;
  /** The embedded server's data directory (undefined on BENCH_DATABASE_URL). */
  dataDir?: string;
  stop(): Promise<void>;
}

export async function benchDatabase(name: string): Promise<BenchDatabase> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let dataDir: string | undefined;
  let stop = async () => {};
  if (!serverUrl) {
    const root = await mkdtemp(path.join(os.tmpdir(), `bench-${name}-`));
    await chmod(root, 0o755); // as root, PostgreSQL runs as another user that must enter it
    dataDir = path.join(root, 'pg');
    const server = await startEmbeddedPostgres({ dataDir, persistent: false });
    serverUrl = server.url;
    stop = async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    };
  }
  const url = await ensureDatabase(serverUrl, `bench_${name.replace(/\W/g, '_')}_${Date.now()}`);
  await applyMigrations(url);
  return { url, dataDir, stop };
}

/** The secrets every bench's app runs with (the seeded birth keys are made with the same pepper). */
export const SECRETS = { sessionSecret: 'bench-session-secret-0123456789abcdef0123', birthDatePepper: 'bench-birth-pepper-0123456789abcdef012345' };

export interface AppProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** One app process as `npm start` runs it in production (the build in dist/), without background jobs. */
export function startApp(url: string, port: number, drainSeconds: number): AppProcess {
  const child = spawn(process.execPath, ['dist/server.js'], {
    env: {
      ...process.env,
      SESSION_SECRET: SECRETS.sessionSecret,
      BIRTH_DATE_PEPPER: SECRETS.birthDatePepper,
      NODE_ENV: 'production',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: 'http://127.0.0.1',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_SECONDS: String(drainSeconds),
      BACKGROUND_WORK: 'false',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, exited: new Promise((resolve) => child.on('exit', resolve)) };
}

/** The status code of a GET on this machine (0 when there is no answer). */
export function get(port: number, pathname: string, agent?: http.Agent): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', () => resolve(0));
    });
    request.on('error', () => resolve(0));
    request.setTimeout(10_000, () => request.destroy());
  });
}

/** Waits until GET pathname answers 200 (an app's /readyz, a Patroni node's /primary). */
export async function ready(port: number, pathname = '/readyz', seconds = 30): Promise<void> {
  for (let i = 0; i < seconds * 10; i += 1) {
    if ((await get(port, pathname)) === 200) return;
    await sleep(100);
  }
  throw new Error(`GET ${pathname} on port ${port} did not answer 200 within ${seconds} s`);
}

/** Creates an admin and logs in through the log-in form; the session cookie of the app at `base`. */
export async function logInAsBenchAdmin(base: string, db: Database): Promise<string> {
  await db.prisma.staffUser.create({
    data: { loginId: 'bench-staff', displayName: 'ベンチ', role: 'admin', passwordHash: await bcrypt.hash('bench-password-0123', 4), mustChangePassword: false },
  });
  const page = await fetch(`${base}/staff/login`);
  const cookie = page.headers.get('set-cookie')!.split(';')[0];
  const token = (await page.text()).match(/name="_csrf" value="([^"]+)"/)![1];
  const response = await fetch(`${base}/staff/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, loginId: 'bench-staff', password: 'bench-password-0123' }),
  });
  return response.headers.get('set-cookie')?.split(';')[0] ?? cookie;
}

/** The app in this process on a free loopback port (production settings, silent logs). */
export async function serveInProcess(url: string, db: Database): Promise<{ server: Server; base: string }> {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    SESSION_SECRET: SECRETS.sessionSecret,
    BIRTH_DATE_PEPPER: SECRETS.birthDatePepper,
    PUBLIC_BASE_URL: 'http://127.0.0.1',
  });
  const app = createApp({ config, db, secrets: SECRETS, logger: pino({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base };
}

// ---------------------------------------------------------------- where the CPU goes
const CLOCK_TICKS = 100;

/** The fields of /proc/PID/stat after the command's name ([0] the state, [1] the parent's pid); none for a process that has gone. */
const procStat = async (pid: string): Promise<string[]> => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /, '').split(' ');

/** CPU seconds of an embedded PostgreSQL: the postmaster, its live children and the children it reaped. */
export async function postgresCpuSeconds(dataDir: string | undefined): Promise<number> {
  if (!dataDir) return NaN;
  const postmaster = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
  let ticks = 0;
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const fields = await procStat(pid);
    if (pid === postmaster) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    else if (fields[1] === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

/** CPU seconds used so far by the child processes this process has waited for (a pgbench run by spawnSync). */
export async function reapedChildrenCpuSeconds(): Promise<number> {
  const fields = await procStat('self');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
