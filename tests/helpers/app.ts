import { pino } from 'pino';
import { createApp, type AppContext } from '../../src/app.js';
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

/** The real app on its own fresh database, as a user reaches it through HTTP. */
export async function createTestApp(overrides: Partial<Record<keyof Config, string>> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, ...overrides });
  const context: AppContext = { config, db, secrets: TEST_SECRETS, logger: pino({ level: 'silent' }) };
  return { app: createApp(context), context, db };
}
