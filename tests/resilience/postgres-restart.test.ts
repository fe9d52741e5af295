// PostgreSQL restarted under load (issue 17.3): the app keeps running. While the server is down
// every request gets the Japanese 503 page (never a 500, never a crash), the public status page
// still answers, and once the server is back the same process serves pages again and its outbox
// sends mail again, without a restart. Uses a PostgreSQL of its own, stopped and started on the
// same port as a restart does.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrator.js';
import { loadConfig } from '../../src/config.js';
import { enqueueMail } from '../../src/features/notify/outbox.js';
import { startBackgroundWork, type BackgroundWork } from '../../src/jobs/background.js';
import { TEST_SECRETS } from '../helpers/app.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { inTx } from '../helpers/tx.js';

const smtp = await startSmtpServer();
let root: string;
let server: EmbeddedDatabase;
let port: number;
let db: Database;
let app: ReturnType<typeof createApp>;
let work: BackgroundWork;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pg-restart-'));
  await chmod(root, 0o755); // as root, PostgreSQL runs as another user that must enter it
  server = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), persistent: true });
  port = Number(new URL(server.url).searchParams.get('port'));
  const url = await ensureDatabase(server.url, 'restart_drill');
  await applyMigrations(url);
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, SMTP_URL: smtp.url, OUTBOX_POLL_SECONDS: '1' });
  db = connectDatabase(url, 4);
  const context = { config, db, secrets: TEST_SECRETS, logger: pino({ level: 'silent' }) };
  app = createApp(context);
  work = startBackgroundWork(context, { monitorIntervalMs: 3_600_000 });
}, 60_000);

afterAll(async () => {
  await work?.stop();
  await db?.close();
  await server?.stop();
  await smtp.close();
  await rm(root, { recursive: true, force: true });
});

describe('a PostgreSQL restart under load', () => {
  it('When PostgreSQL stops and starts again while citizens keep asking for pages, then they get 200 or a Japanese 503, never a 500, and the same process serves and mails again afterwards', async () => {
    const statuses: number[] = [];
    let unavailablePage = '';
    let loading = true;
    const load = Array.from({ length: 6 }, async () => {
      while (loading) {
        const response = await request(app).get('/apply');
        statuses.push(response.status);
        if (response.status === 503) unavailablePage = response.text;
      }
    });

    await expect.poll(() => statuses.filter((status) => status === 200).length).toBeGreaterThan(20);
    await server.stop(); // fast shutdown: open connections are cut
    await expect.poll(() => statuses.filter((status) => status === 503).length, { timeout: 10_000 }).toBeGreaterThan(5);
    const status = await request(app).get('/status');
    expect(status.status).toBe(200);
    expect(status.text).toContain('ただいま予約を受け付けられません');

    server = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), persistent: true, port });
    const back = statuses.length;
    await expect.poll(() => statuses.slice(back).filter((code) => code === 200).length, { timeout: 15_000 }).toBeGreaterThan(20);
    loading = false;
    await Promise.all(load);

    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    expect(unavailablePage).toContain('ただいまシステムに接続できません');

    await inTx(db, (tx) => enqueueMail(tx, { dedupeKey: 'after-restart', kind: 'test', to: 'taro@example.jp', subject: 'after-restart', text: '本文' }));
    await smtp.waitFor(1, 10_000);
    expect(smtp.messages.map((mail) => mail.subject)).toContain('after-restart');
  }, 90_000);
});
