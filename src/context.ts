// What every feature, job and route is built from: configuration, the database, secrets and the logger.
// Its own module so route files and jobs need not import app.ts (which imports them).
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { Secrets } from './secrets.js';

export interface AppContext {
  config: Config;
  db: Database;
  secrets: Secrets;
  logger: Logger;
}
