// The operator's erasure command (cli/erase.ts): its arguments checked before anything starts,
// then a preview of what would go, and the erasure itself only with the database's name typed as
// the confirmation. It connects to the app's database with the operator's own role
// (ERASURE_DB_USER / ERASURE_DB_PASSWORD), never with the app's credential.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { connectDatabase } from '../../db/client.js';
import { AppError } from '../../lib/app-error.js';
import { translator } from '../../lib/i18n.js';
import { hasControlCharacters } from '../../lib/validation.js';
import { writeCertificate } from './certificate.js';
import { eraseAllPersonalData, erasurePreview } from './erasure.js';

export interface EraseOptions {
  operator: string;
  outDir: string;
  confirm: string | null;
  user: string;
  password: string;
}

export interface Printer {
  log(line: string): void;
  error(line: string): void;
}

type Checked = { ok: true; options: EraseOptions } | { ok: false; messageKey: string; params?: Record<string, string> };

const MAX_OPERATOR = 100;

/** The command line and the environment, checked; every refusal is a Japanese message. */
export async function checkEraseArgs(args: string[], env: Record<string, string | undefined>): Promise<Checked> {
  let values: { operator?: string | string[]; out?: string | string[]; confirm?: string | string[] };
  try {
    ({ values } = parseArgs({
      args,
      options: { operator: { type: 'string', multiple: true }, out: { type: 'string', multiple: true }, confirm: { type: 'string', multiple: true } },
      strict: true,
    }));
  } catch {
    return { ok: false, messageKey: 'erasure.cli.usage' };
  }
  const single = (value: string | string[] | undefined) => (Array.isArray(value) ? (value.length === 1 ? value[0] : null) : (value ?? undefined));
  const [operator, outDir, confirm] = [single(values.operator), single(values.out), single(values.confirm)];
  if (operator === null || outDir === null || confirm === null) return { ok: false, messageKey: 'erasure.cli.twice' };
  const name = operator?.trim() ?? '';
  if (name === '' || [...name].length > MAX_OPERATOR || hasControlCharacters(name)) return { ok: false, messageKey: 'erasure.cli.operator', params: { max: String(MAX_OPERATOR) } };
  const user = env.ERASURE_DB_USER ?? '';
  const password = env.ERASURE_DB_PASSWORD ?? '';
  if (user === '' || password === '' || hasControlCharacters(user) || hasControlCharacters(password)) return { ok: false, messageKey: 'erasure.cli.credential' };
  const dir = outDir ?? '.';
  if (hasControlCharacters(dir) || !(await writableDirectory(dir))) return { ok: false, messageKey: 'erasure.cli.outDir', params: { dir: JSON.stringify(dir) } };
  if (confirm !== undefined && (confirm === '' || hasControlCharacters(confirm))) return { ok: false, messageKey: 'erasure.cli.confirmWrong', params: { database: '?' } };
  return { ok: true, options: { operator: name, outDir: dir, confirm: confirm ?? null, user, password } };
}

async function writableDirectory(dir: string): Promise<boolean> {
  try {
    if (!(await stat(dir)).isDirectory()) return false;
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The app's database address with the operator's role instead of the app's. */
export function eraserUrl(appUrl: string, options: Pick<EraseOptions, 'user' | 'password'>): string {
  const url = new URL(appUrl);
  url.username = encodeURIComponent(options.user);
  url.password = encodeURIComponent(options.password);
  return url.toString();
}

/** Shows what would be erased; erases and writes the certificate when confirmed. Returns the exit code. */
export async function runErasure(options: EraseOptions, appUrl: string, print: Printer): Promise<number> {
  const t = translator();
  const database = connectDatabase(eraserUrl(appUrl, options), 2);
  try {
    const preview = await erasurePreview(database);
    print.log(t('erasure.cli.preview', { database: preview.database }));
    for (const table of preview.tables) print.log(`  ${t(`data.tables.${table.table}`)} (${table.table}): ${table.rows}`);
    if (options.confirm === null) {
      print.error(t('erasure.cli.notConfirmed', { database: preview.database }));
      return 2;
    }
    if (options.confirm !== preview.database) {
      print.error(t('erasure.cli.confirmWrong', { database: preview.database }));
      return 2;
    }
    const certificate = await eraseAllPersonalData(database, options.operator);
    print.log(t('erasure.cli.done', { rows: String(certificate.totalRows) }));
    try {
      const files = await writeCertificate(certificate, options.outDir);
      print.log(t('erasure.cli.certificate', { json: files.json, html: files.html }));
    } catch {
      // The data is gone whatever happens to the files: the certificate is printed instead.
      print.error(t('erasure.cli.certificateNotWritten'));
      print.log(JSON.stringify(certificate, null, 2));
    }
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      print.error(t(error.messageKey, error.params));
      return 1;
    }
    print.error(t('erasure.cli.failed', { reason: String((error as Error)?.message ?? error).slice(0, 300) }));
    return 1;
  } finally {
    await database.close();
  }
}
