// npm run data:import -- FILE [--password-file PASSWORD_FILE]
// Re-imports a handover file into an empty database in one transaction; a damaged, tampered or
// truncated file, a wrong password or a database that is not empty is refused with nothing written.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { connectDatabase } from '../../../db/client.js';
import { runWithDatabase } from '../../../db/cli/run.js';
import { applyPendingMigrations } from '../../../db/migrator.js';
import { transaction } from '../../../db/transaction.js';
import { AppError } from '../../../lib/app-error.js';
import { recordAudit } from '../../staff/audit.js';
import { openHandoverFile } from '../archive.js';
import { importHandover } from '../import.js';
import { commandLine, HANDOVER_TIMEOUT_MS, readPassword, t, tell } from './common.js';

const options = commandLine('handover.importUsage', ['password-file']);
const actor = { type: 'system' as const, id: 'data:import' };

await runWithDatabase(async (databaseUrl) => {
  try {
    if (!existsSync(options.file)) throw new AppError(400, 'handover_no_file', 'handover.noFile', { file: options.file });
    // The whole file is checked before the database is touched.
    const handover = await openHandoverFile(options.file, await readPassword(options.passwordFile));
    try {
      await applyPendingMigrations(databaseUrl);
      const database = connectDatabase(databaseUrl, 2);
      try {
        const result = await transaction(database, actor, (tx) => importHandover(tx, handover), { models: false, timeoutMs: HANDOVER_TIMEOUT_MS });
        const detail = { file: path.basename(options.file), ...result };
        await transaction(database, actor, (tx) => recordAudit(tx, { action: 'handover.import', detail }), { models: false });
        console.log(t('handover.imported', { ...result }));
      } finally {
        await database.close();
      }
    } finally {
      await handover.close();
    }
  } catch (error) {
    tell(error);
  }
});
