// `npm start` as a user runs it: a real process, an embedded PostgreSQL, Ctrl-C to stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';

const children: ChildProcess[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/server.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const check = () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`server exited:\n${output}`)));
  });
  const base = output.match(/Citizen site : (http:\/\/\S+)\//)![1];
  return { child, base, output: () => output, exited };
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
});
