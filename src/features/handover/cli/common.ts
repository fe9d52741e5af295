// What the two handover commands share: their options, the password file, and errors told in Japanese.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AppError } from '../../../lib/app-error.js';
import { translator } from '../../../lib/i18n.js';
import { hasControlCharacters } from '../../../lib/validation.js';

export const t = translator();

/** Long batch work: a whole database in one transaction. */
export const HANDOVER_TIMEOUT_MS = 6 * 60 * 60 * 1000;

export interface HandoverCommandLine {
  file: string;
  sjis: boolean;
  encrypt: boolean;
  passwordFile: string | undefined;
}

type Flag = 'sjis' | 'encrypt' | 'password-file';

/**
 * The file and the options this command takes (`accepted`), or null for anything else: an option
 * the command does not take, one given twice, an empty or control-character value, --encrypt
 * with --password-file (which password would the file have?), or not exactly one file.
 */
export function parseCommandLine(args: string[], accepted: readonly Flag[]): HandoverCommandLine | null {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { sjis: { type: 'boolean', multiple: true }, encrypt: { type: 'boolean', multiple: true }, 'password-file': { type: 'string', multiple: true } },
      allowPositionals: true,
    });
    const given = (Object.keys(values) as Flag[]).filter((flag) => values[flag] !== undefined);
    if (given.some((flag) => !accepted.includes(flag) || values[flag]!.length > 1)) return null;
    const passwordFile = values['password-file']?.[0];
    if (values.encrypt && passwordFile !== undefined) return null;
    const texts = [...positionals, ...(passwordFile === undefined ? [] : [passwordFile])];
    if (positionals.length !== 1 || texts.some((text) => text === '' || hasControlCharacters(text))) return null;
    return { file: positionals[0], sjis: values.sjis !== undefined, encrypt: values.encrypt !== undefined, passwordFile };
  } catch {
    return null;
  }
}

/** The command line of this process, or the usage told in Japanese and exit 2. */
export function commandLine(usageKey: string, accepted: readonly Flag[]): HandoverCommandLine {
  const parsed = parseCommandLine(process.argv.slice(2), accepted);
  if (parsed) return parsed;
  console.error(t(usageKey));
  process.exit(2);
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
