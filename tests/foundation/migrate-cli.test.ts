import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';

const run = promisify(execFile);

describe('npm run db:migrate', () => {
  it('When run against an empty database twice, then the first run applies every migration and the second applies none', async () => {
    const db = await createTestDatabase();
    await db.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    const env = { ...process.env, DATABASE_URL: db.url };
    const first = await run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/db/cli/migrate.ts'], { env });
    expect(first.stdout).toMatch(/Applied: \d+_init/);
    const second = await run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/db/cli/migrate.ts'], { env });
    expect(second.stdout).toContain('Database is up to date.');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM counters')).rows[0].n).toBe(0);
  }, 60_000);
});
