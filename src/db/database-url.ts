import type { Config } from '../config.js';
import { archiveDirOf } from './backup.js';
import { ensureDatabase, startEmbeddedPostgres } from './embedded.js';

export const EMBEDDED_DATABASE_NAME = 'mynumber_booking';

export interface DatabaseServer {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded server (started here) and its app database. */
export async function resolveDatabase(config: Config, onLog?: (message: string) => void): Promise<DatabaseServer> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: false, stop: async () => {} };
  const archiveDir = config.BACKUP_DIR ? archiveDirOf(config.BACKUP_DIR) : undefined;
  const server = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_PG_DIR, archiveDir, onLog });
  try {
    const url = await ensureDatabase(server.url, EMBEDDED_DATABASE_NAME);
    return { url, embedded: true, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
