// One app process of the booking storm (bench/booking-storm.ts forks it with node:cluster): the
// compiled production build in dist/ (`npm run build`), as `npm start` runs it, with
// NODE_ENV=production so templates are compiled once and cached. Plain JavaScript on purpose:
// no TypeScript loader runs in the measured process.
import { pino } from 'pino';
import { createApp } from '../dist/app.js';
import { loadConfig } from '../dist/config.js';
import { connectDatabase } from '../dist/db/client.js';

const { url, port, pool, secrets } = JSON.parse(process.env.BENCH_WORKER ?? '{}');
const config = loadConfig({
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  DATABASE_URL: url,
  SESSION_SECRET: secrets.sessionSecret,
  BIRTH_DATE_PEPPER: secrets.birthDatePepper,
  PUBLIC_BASE_URL: 'http://127.0.0.1',
  DATABASE_POOL_SIZE: String(pool),
});
const db = connectDatabase(url, pool);
const app = createApp({ config, db, secrets, logger: pino({ level: 'silent' }) });
const server = app.listen(port, '127.0.0.1', () => process.send?.('listening'));
process.on('message', async (message) => {
  if (message === 'cpu') return process.send?.({ cpu: process.cpuUsage() });
  if (message !== 'stop') return;
  server.close();
  await db.close();
  process.exit(0);
});
