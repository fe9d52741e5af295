// IPA: OS command injection. The fundamental fix is to never call a shell; proved by search.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((file) => /\.(ts|mjs|js)$/.test(file) && !file.startsWith('generated')).map((file) => path.join(dir, file));
}

// The one exception: the embedded PostgreSQL launcher for `npm start` and tests runs initdb and
// postgres itself. It starts fixed programs with argument arrays (never a shell), takes nothing
// from a request, and no request-handling code imports it.
const LAUNCHER = path.join('src', 'db', 'embedded.ts');

describe('no shell anywhere in the application', () => {
  it('When the source is searched, then nothing imports child_process or runs a command', async () => {
    const offenders: string[] = [];
    for (const file of [...(await sourceFiles('src')), ...(await sourceFiles('public/js').catch(() => []))]) {
      if (file === LAUNCHER) continue;
      const text = await readFile(file, 'utf8');
      if (/child_process|\bexecSync\b|\bexecFile\b|\bspawn\(|shell:\s*true|\beval\(|new Function\(/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  // That no request-handling code imports the launcher is an ESLint rule (eslint.config.js, noLauncher).
  it('When the database launcher is searched, then it never uses a shell', async () => {
    const launcher = await readFile(LAUNCHER, 'utf8');
    expect(launcher).not.toMatch(/\bexec(Sync)?\(|\bexecFile|shell:\s*true|\beval\(|new Function\(/);
  });
});
