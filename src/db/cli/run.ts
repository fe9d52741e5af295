import { ConfigError, loadConfig } from '../../config.js';
import { resolveDatabase } from '../database-url.js';
import { EmbeddedPostgresError } from '../embedded.js';

/** Runs a command-line task against DATABASE_URL or the embedded server, then stops it. */
export async function runWithDatabase(task: (databaseUrl: string) => Promise<void>): Promise<void> {
  try {
    const database = await resolveDatabase(loadConfig());
    try {
      await task(database.url);
    } finally {
      await database.stop();
    }
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof EmbeddedPostgresError ? error.message : error);
    process.exitCode = 1;
  }
}
