// `npm start`: configuration, database (embedded unless DATABASE_URL), migrations, demo data,
// then the HTTP server. Ctrl-C (SIGINT) or SIGTERM shuts everything down in order.
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { connectDatabase } from './db/client.js';
import { resolveDatabase } from './db/database-url.js';
import { applyPendingMigrations } from './db/migrator.js';
import { DEMO_CITIZENS, DEMO_STAFF, isDatabaseEmpty, seedDemoData } from './db/seed.js';
import { startBackgroundWork } from './jobs/background.js';
import { resolveSecrets } from './secrets.js';
import { createLogger } from './web/logging.js';

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);
const secrets = resolveSecrets(config);
const { server, db } = await prepareDatabase().catch(exitWithStartFailure);

async function prepareDatabase() {
  const server = await resolveDatabase(config, (message) => logger.debug({ postgres: String(message).trim() }));
  if (server.embedded) logger.info('started embedded PostgreSQL');
  const applied = await applyPendingMigrations(server.url);
  if (applied.length > 0) logger.info({ applied }, 'applied migrations');
  const db = connectDatabase(server.url, config.DATABASE_POOL_SIZE);
  const seeded = config.SEED_DEMO_DATA && (await isDatabaseEmpty(db.prisma));
  if (seeded) await seedDemoData(db, secrets.birthDatePepper);
  return { server, db };
}

/** Any start-up failure ends with one readable message and exit code 1, never a bare stack or `undefined`. */
function exitWithStartFailure(error: unknown): never {
  const detail = error instanceof Error && error.message ? error.message : String(error);
  console.error(`起動できませんでした (start-up failed): ${detail}`);
  process.exit(1);
}

const context = { config, db, secrets, logger };
let shuttingDown = false;
const app = createApp(context, { draining: () => shuttingDown });
// Mail sender, scheduled jobs and health monitor: in the process, never inside createApp.
const background = startBackgroundWork(context, { dataDir: server.embedded ? config.EMBEDDED_PG_DIR : null });
const http: Server = app.listen(config.PORT, config.HOST, () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const base = config.PUBLIC_BASE_URL ?? `http://localhost:${port}`;
  printBanner(base, server.embedded);
});

function printBanner(base: string, embedded: boolean) {
  const lines = [
    '',
    'マイナンバーカード交付予約システム is running.',
    `  Citizen site : ${base}/`,
    `  Staff console: ${base}/staff/login`,
    `  Database     : ${embedded ? `embedded PostgreSQL (${config.EMBEDDED_PG_DIR})` : 'DATABASE_URL'}`,
  ];
  if (config.SEED_DEMO_DATA) {
    lines.push('  Demo staff log-ins (login ID / password):');
    for (const staff of DEMO_STAFF) lines.push(`    ${staff.role.padEnd(8)} ${staff.loginId} / ${staff.password}`);
    lines.push('  Demo citizens (notice ID / birth MMDD):');
    for (const citizen of DEMO_CITIZENS) lines.push(`    ${citizen.noticeId} / ${citizen.mmdd}`);
  }
  lines.push('Press Ctrl-C to stop.', '');
  console.log(lines.join('\n'));
}

async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  // /readyz says no from now on; requests keep being served until the load balancer has noticed.
  const drainSeconds = config.SHUTDOWN_DRAIN_SECONDS ?? (config.NODE_ENV === 'production' ? 5 : 0);
  logger.info({ signal, drainSeconds }, 'shutting down');
  await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
  http.closeIdleConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await background.stop();
  await db.close();
  await server.stop();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
