// npm run data:eraser-role -- ログイン名 — the operator's own login for npm run data:erase
// (docs/operations.md, "Contract end"). Prints its password once.
import { connectDatabase } from '../../../db/client.js';
import { runWithDatabase } from '../../../db/cli/run.js';
import { translator } from '../../../lib/i18n.js';
import { AppError } from '../../../lib/app-error.js';
import { createEraserLogin } from '../eraser-role.js';

const t = translator();
const login = process.argv[2] ?? '';
await runWithDatabase(async (appUrl) => {
  const database = connectDatabase(appUrl, 1);
  try {
    const password = await createEraserLogin(database, login);
    console.log(t('erasure.role.created', { login, password }));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    console.error(t(error.messageKey, error.params));
    process.exitCode = 1;
  } finally {
    await database.close();
  }
});
