// What every benchmark needs first: a fresh, migrated database. On BENCH_DATABASE_URL's server
// when set, otherwise on a throw-away embedded PostgreSQL in a temporary directory.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { applyMigrations } from '../src/db/migrator.js';

export interface BenchDatabase {
  url: string;
  /** The embedded server's data directory (undefined on BENCH_DATABASE_URL). */
  dataDir?: string;
  stop(): Promise<void>;
}

export async function benchDatabase(name: string): Promise<BenchDatabase> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let dataDir: string | undefined;
  let stop = async () => {};
  if (!serverUrl) {
    const root = await mkdtemp(path.join(os.tmpdir(), `bench-${name}-`));
    await chmod(root, 0o755); // as root, PostgreSQL runs as another user that must enter it
    dataDir = path.join(root, 'pg');
    const server = await startEmbeddedPostgres({ dataDir, persistent: false });
    serverUrl = server.url;
    stop = async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    };
  }
  const url = await ensureDatabase(serverUrl, `bench_${name.replace(/\W/g, '_')}_${Date.now()}`);
  await applyMigrations(url);
  return { url, dataDir, stop };
}
