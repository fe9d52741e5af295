import { pino, type Logger } from 'pino';
import { createApp } from '../../src/app.js';
import type { AppContext } from '../../src/context.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const TEST_SECRETS = {
  sessionSecret: 'test-session-secret-0123456789abcdef0123456789',
  birthDatePepper: 'test-birth-date-pepper-0123456789abcdef012345',
};

export interface TestApp {
  app: ReturnType<typeof createApp>;
  context: AppContext;
  db: TestDatabase;
}

/**
 * The real app on its own fresh database, as a user reaches it through HTTP. DATABASE_POOL_SIZE
 * sizes its pool (10 by default), as it does for the app itself.
 */
export async function createTestApp(overrides: Partial<Record<keyof Config, string>> = {}, logger: Logger = pino({ level: 'silent' })): Promise<TestApp> {
  const db = await createTestDatabase(Number(overrides.DATABASE_POOL_SIZE ?? 10));
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, ...overrides });
  const context: AppContext = { config, db, secrets: TEST_SECRETS, logger };
  return { app: createApp(context), context, db };
}

/** A logger that keeps every line it writes, to assert on what the app logs. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}
