// npm run schedule:load -- FILE — validates a setup file (errors with line numbers, nothing
// applied) and applies it in one transaction, then regenerates the slots.
import { readFile } from 'node:fs/promises';
import { connectDatabase } from '../../../db/client.js';
import { transaction } from '../../../db/transaction.js';
import { runWithDatabase } from '../../../db/cli/run.js';
import { applyPendingMigrations } from '../../../db/migrator.js';
import { todayInJapan } from '../../../lib/jst.js';
import { loadSetup, parseSetupFile, SETUP_TIMEOUT_MS } from '../setup-file.js';

const file = process.argv[2];
if (!file) {
  console.error('使い方: npm run schedule:load -- 設定ファイル.yaml');
  process.exit(2);
}
const parsed = parseSetupFile(await readFile(file, 'utf8'));
if (!parsed.ok) {
  for (const error of parsed.errors) console.error(`${file}:${error.line}:${error.column}: ${error.message}`);
  console.error(`${parsed.errors.length}件の誤りがあるため、何も変更していません。`);
  process.exit(1);
}
await runWithDatabase(async (databaseUrl) => {
  await applyPendingMigrations(databaseUrl);
  const database = connectDatabase(databaseUrl, 2);
  try {
    const actor = { type: 'system' as const, id: `schedule:load ${file}` };
    const result = await transaction(database, actor, (tx) => loadSetup(tx, parsed.setup, todayInJapan()), { timeoutMs: SETUP_TIMEOUT_MS });
    console.log(`${result.counters}か所の交付場所を設定しました。予約枠: ${result.regeneration.written}件更新、要確認 ${result.regeneration.conflicts}件。`);
    if (result.untouched.length > 0) console.log(`ファイルにない交付場所は変更していません: ${result.untouched.join(', ')}`);
  } finally {
    await database.close();
  }
});
