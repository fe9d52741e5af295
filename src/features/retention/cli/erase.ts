// npm run data:erase -- --operator "氏名" [--out フォルダ] [--confirm データベース名]
// Contract-end erasure of every personal datum (docs/operations.md, docs/decisions/0022).
import { runWithDatabase } from '../../../db/cli/run.js';
import { translator } from '../../../lib/i18n.js';
import { checkEraseArgs, runErasure } from '../erase-command.js';

const checked = await checkEraseArgs(process.argv.slice(2), process.env);
if (!checked.ok) {
  const t = translator();
  console.error(t(checked.messageKey, checked.params));
  console.error(t('erasure.cli.usage'));
  process.exit(1);
}
await runWithDatabase(async (appUrl) => {
  process.exitCode = await runErasure(checked.options, appUrl, console);
});
