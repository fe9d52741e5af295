// npm run db:restore -- "2026-12-02 17:30" [data directory]
// Prepares a data directory for the embedded PostgreSQL restored to that moment (Japan time) from
// BACKUP_DIR: the newest base backup before it, then the archived WAL up to it. The directory
// (EMBEDDED_PG_DIR unless given) must not exist: move the current one aside first. `npm start`
// then replays and opens it (docs/operations.md, "Backups and point-in-time recovery").
import { ConfigError, loadConfig } from '../../config.js';
import { BackupError, prepareRestore, restoreMoment } from '../backup.js';

try {
  const config = loadConfig();
  const [momentText, into = config.EMBEDDED_PG_DIR] = process.argv.slice(2);
  const moment = restoreMoment(momentText ?? '');
  if (!config.BACKUP_DIR) throw new BackupError('BACKUP_DIR (バックアップの場所) を設定してください。');
  if (!moment) throw new BackupError('復元する時刻を日本時間で "2026-12-02 17:30" のように指定してください。');
  const { base } = await prepareRestore(config.BACKUP_DIR, into, moment);
  console.log(`${into} を準備しました (ベースバックアップ ${base} から ${momentText} まで)。npm start で起動すると、その時刻までを再現して開きます。`);
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof BackupError ? error.message : error);
  process.exitCode = 1;
}
