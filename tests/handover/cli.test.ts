// The operator's commands: npm run data:export and npm run data:import, run as processes against
// real databases, as docs/operations.md tells them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createTestDatabase } from '../helpers/db.js';
import { fillEveryTable, snapshot } from './fill.js';

const run = promisify(execFile);
const { now, today } = pinClock(WORKING_WEDNESDAY);

/** Runs a command the way npm run does; resolves with its exit code and output instead of throwing. */
async function command(script: string, args: string[], databaseUrl: string) {
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  return run(process.execPath, ['node_modules/tsx/dist/cli.mjs', `src/features/handover/cli/${script}.ts`, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const withoutAudit = ({ tables, sequences }: Awaited<ReturnType<typeof snapshot>>) => ({ tables: { ...tables, audit_logs: [] }, sequences });

describe('npm run data:export / data:import', () => {
  it('When an operator exports encrypted and imports into a new database, then a wrong password is refused in Japanese and the right one restores everything, both audited', async () => {
    const source = await createTestDatabase(2);
    await fillEveryTable(source, { now, today });
    const dir = await mkdtemp(path.join(tmpdir(), 'handover-cli-'));
    const file = path.join(dir, 'handover.zip.gpg');

    const exported = await command('export', [file, '--encrypt'], source.url);
    expect(exported.stdout).toContain(`${file} に`);
    expect(exported.stdout).toContain('別の経路で渡し');
    expect(existsSync(`${file}.sha256`)).toBe(true);
    const password = path.join(dir, 'handover.zip.gpg.password.txt');
    expect((await readFile(password, 'utf8')).trim()).toMatch(/^[\w-]{24}$/);
    const exports = await source.query<{ detail: { encrypted: boolean } }>(`SELECT detail FROM audit_logs WHERE action = 'handover.export'`);
    expect(exports.map((row) => row.detail.encrypted)).toEqual([true]);

    const target = await createTestDatabase(2);
    await target.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public'); // a new, empty database: the command migrates it
    await writeFile(path.join(dir, 'wrong.txt'), 'not-the-password\n');
    const refused = await command('import', [file, '--password-file', path.join(dir, 'wrong.txt')], target.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('復号できません。パスワードが違うか、ファイルが壊れています。何も書き込んでいません。');
    expect((await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`))[0].n).toBe(0);

    const imported = await command('import', [file, '--password-file', password], target.url);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/\d+ テーブル、\d+ 行を取り込みました。/);
    expect(withoutAudit(await snapshot(target))).toEqual(withoutAudit(await snapshot(source)));
    const imports = await target.query<{ action: string }>(`SELECT action FROM audit_logs WHERE action LIKE 'handover.%' ORDER BY id`);
    expect(imports.map((row) => row.action)).toEqual(['handover.import']);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});
