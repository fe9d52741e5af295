// Outbox and reminder throughput: `npx tsx bench/outbox.ts [mails]`.
// Starts its own embedded PostgreSQL (unless BENCH_DATABASE_URL is set) and a loopback SMTP
// server that accepts everything; prints mails/s for one sender, two senders (two pools), and
// the reminder job for as many next-day bookings. Not run by npm test.
import { benchDatabase } from './support.js';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/client.js';
import { transaction } from '../src/db/transaction.js';
import { createMailer } from '../src/features/notify/mailer.js';
import { enqueueMail } from '../src/features/notify/outbox.js';
import { OutboxWorker } from '../src/features/notify/outbox-worker.js';
import { reminderJob } from '../src/jobs/registry.js';
import { runJob } from '../src/jobs/runner.js';
import { addDays, jstInstant, todayInJapan } from '../src/lib/jst.js';

const MAILS = Math.min(Number(process.argv[2] ?? 2000), 20_000);

async function smtpSink() {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function enqueue(db: Database, prefix: string): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < MAILS; index += 1) {
    await transaction(db, { type: 'system', id: 'bench' }, (tx) =>
      enqueueMail(tx, { dedupeKey: `${prefix}:${index}`, kind: 'bench', to: `c${index}@example.jp`, subject: `件名 ${index}`, text: '本文'.repeat(200) }),
    );
  }
  return performance.now() - started;
}

const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000)}/s`;

const pg = await benchDatabase('outbox');
const db = connectDatabase(pg.url, 10);
const other = connectDatabase(pg.url, 10);
const smtp = await smtpSink();
const mailer = createMailer(smtp.url, 'bench <no-reply@example.lg.jp>');
try {
  await db.pool.query('TRUNCATE outbox_messages, mail_attempts, bookings, slots, card_holders, counters CASCADE');
  const enqueueMs = await enqueue(db, 'one');
  console.log(`enqueue (one transaction per mail): ${MAILS} in ${enqueueMs.toFixed(0)} ms = ${rate(MAILS, enqueueMs)}`);

  let started = performance.now();
  await new OutboxWorker(db, mailer).drain();
  let ms = performance.now() - started;
  console.log(`1 sender:  ${smtp.received()} delivered in ${ms.toFixed(0)} ms = ${rate(MAILS, ms)}`);

  await enqueue(db, 'two');
  const before = smtp.received();
  started = performance.now();
  await Promise.all([new OutboxWorker(db, mailer).drain(), new OutboxWorker(other, mailer).drain()]);
  ms = performance.now() - started;
  const delivered = smtp.received() - before;
  console.log(`2 senders: ${delivered} delivered in ${ms.toFixed(0)} ms = ${rate(MAILS, ms)} (duplicates: ${delivered - MAILS})`);

  const tomorrow = addDays(todayInJapan(), 1);
  const { rows } = await db.pool.query<{ id: number }>("INSERT INTO counters (code, name, address, updated_at) VALUES ('bench', 'ベンチ窓口', '本町1-1', now()) RETURNING id");
  await db.pool.query(
    `WITH holders AS (
       INSERT INTO card_holders (notice_id, birth_key, updated_at) SELECT 'n' || g, 'k', now() FROM generate_series(1, $1) g RETURNING id),
     slot AS (
       INSERT INTO slots (counter_id, date, starts_at, ends_at, capacity, updated_at) VALUES ($2, $3::date, $4, $5, 1000000, now()) RETURNING id)
     INSERT INTO bookings (code, slot_id, card_holder_id, channel, email, created_by, updated_at)
     SELECT 'B' || h.id, slot.id, h.id, 'web', 'b' || h.id || '@example.jp', 'bench', now() FROM holders h, slot`,
    [MAILS, rows[0].id, tomorrow, jstInstant(tomorrow, 600), jstInstant(tomorrow, 630)],
  );
  const config = loadConfig({ NODE_ENV: 'test' });
  started = performance.now();
  const result = await runJob(db, reminderJob, { config, now: new Date(), baseUrl: 'http://localhost', secret: 'x'.repeat(40) });
  ms = performance.now() - started;
  console.log(`reminder job: ${JSON.stringify(result)} in ${ms.toFixed(0)} ms = ${rate(MAILS, ms)}`);
  started = performance.now();
  const again = await runJob(db, reminderJob, { config, now: new Date(), baseUrl: 'http://localhost', secret: 'x'.repeat(40) });
  console.log(`reminder job re-run: ${JSON.stringify(again)} in ${(performance.now() - started).toFixed(0)} ms`);
} finally {
  mailer.close();
  await smtp.close();
  await other.close();
  await db.close();
  await pg.stop();
}
