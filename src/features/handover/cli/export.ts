// npm run data:export -- FILE [--sjis] [--encrypt | --password-file PASSWORD_FILE]
// Writes the handover file (docs/operations.md, "Handover to the next vendor"): every table as CSV,
// the schedule YAML, README.md, manifest.json and SHA256SUMS in one ZIP, encrypted when asked.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectDatabase } from '../../../db/client.js';
import { runWithDatabase } from '../../../db/cli/run.js';
import { transaction } from '../../../db/transaction.js';
import { AppError } from '../../../lib/app-error.js';
import { todayInJapan } from '../../../lib/jst.js';
import { recordAudit } from '../../staff/audit.js';
import { newPassword, writeHandoverFile } from '../archive.js';
import { exportHandover } from '../export.js';
import { commandLine, HANDOVER_TIMEOUT_MS, readPassword, t, tell } from './common.js';

const options = commandLine('handover.exportUsage', ['sjis', 'encrypt', 'password-file']);
const actor = { type: 'system' as const, id: 'data:export' };
const onTable = (table: string, rows: number) => console.log(t('handover.tableDone', { table, rows }));

await runWithDatabase(async (databaseUrl) => {
  const database = connectDatabase(databaseUrl, 2);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let passwordFile: string | undefined;
  try {
    if (existsSync(options.file)) throw new AppError(400, 'handover_output_exists', 'handover.outputExists', { file: options.file });
    const password = options.encrypt ? newPassword() : await readPassword(options.passwordFile);
    if (options.encrypt) {
      passwordFile = `${options.file}.password.txt`;
      await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    }
    const manifest = await writeHandoverFile(options.file, password, (zip) =>
      transaction(
        database,
        actor,
        (tx) => exportHandover(tx, zip, { encoding: options.sjis ? 'sjis' : 'utf8', today: todayInJapan(), createdAt: new Date(), signal: stop.signal, onTable }),
        {
          isolation: 'snapshot',
          timeoutMs: HANDOVER_TIMEOUT_MS,
        },
      ),
    );
    const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
    const detail = { file: path.basename(options.file), encoding: manifest.encoding, encrypted: password !== undefined, tables: manifest.tables.length, rows };
    await transaction(database, actor, (tx) => recordAudit(tx, { action: 'handover.export', detail }), { models: false });
    console.log(t('handover.exported', { file: options.file, tables: manifest.tables.length, rows }));
    if (passwordFile) console.log(t('handover.passwordWritten', { file: passwordFile }));
  } catch (error) {
    if (passwordFile) await rm(passwordFile, { force: true }); // no file, so no password for it
    tell(error);
  } finally {
    await database.close();
  }
});
