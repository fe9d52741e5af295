// What the two handover commands share: their options, the password file, and errors told in Japanese.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AppError } from '../../../lib/app-error.js';
import { translator } from '../../../lib/i18n.js';

export const t = translator();

/** Long batch work: a whole database in one transaction. */
export const HANDOVER_TIMEOUT_MS = 6 * 60 * 60 * 1000;

export function commandLine(usageKey: string) {
  try {
    const { values, positionals } = parseArgs({
      options: { sjis: { type: 'boolean' }, encrypt: { type: 'boolean' }, 'password-file': { type: 'string' } },
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new Error('one file');
    return { file: positionals[0], sjis: values.sjis === true, encrypt: values.encrypt === true, passwordFile: values['password-file'] };
  } catch {
    console.error(t(usageKey));
    process.exit(2);
  }
}

/** The password is read from a file (never the command line, which other users of the machine can see). */
export async function readPassword(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const password = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (!password) throw new AppError(400, 'handover_bad_password_file', 'handover.badPasswordFile', { file });
  return password;
}

/** Tells an operator's mistake or a refused file in Japanese; anything else goes out as it is. */
export function tell(error: unknown): void {
  console.error(error instanceof AppError ? t(error.messageKey, error.params) : error);
  process.exitCode = 1;
}
