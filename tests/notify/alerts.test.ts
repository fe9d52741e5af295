import { createServer, type IncomingMessage } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.js';
import { raiseAlert } from '../../src/features/notify/alerts.js';
import { createMailer } from '../../src/features/notify/mailer.js';
import { HealthMonitor } from '../../src/features/notify/monitor.js';
import { OutboxWorker } from '../../src/features/notify/outbox-worker.js';
import { alertDispatchJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { createTestApp } from '../helpers/app.js';
import { truncateAll } from '../helpers/db.js';
import { createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { staffAgent } from '../helpers/staff.js';
import { inTx } from '../helpers/tx.js';

async function startWebhook() {
  const received: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const smtp = await startSmtpServer();
const webhook = await startWebhook();
const { app, context, db } = await createTestApp({
  ALERT_EMAILS: 'oncall@example.jp, duty@example.jp',
  ALERT_REPEAT_MINUTES: '15',
  ALERT_WEBHOOK_URL: webhook.url,
  PUBLIC_BASE_URL: 'https://yoyaku.example.lg.jp',
  SMTP_URL: smtp.url,
});
const mailer = createMailer(smtp.url, context.config.MAIL_FROM);
afterAll(() => mailer.close());
const sender = new OutboxWorker(db, mailer);
const jobContext = (now: Date) => ({ config: context.config, now, baseUrl: 'https://yoyaku.example.lg.jp', secret: context.secrets.sessionSecret });
const minutes = (start: Date, count: number) => new Date(start.getTime() + count * 60_000);

beforeEach(async () => {
  await truncateAll(db);
  smtp.messages.length = 0;
  webhook.received.length = 0;
});

async function dispatchAndSend(now: Date) {
  await runJob(db, alertDispatchJob, jobContext(now));
  await sender.drain();
}

function ackPath(text: string): string {
  const url = text.match(/https:\/\/yoyaku\.example\.lg\.jp(\/alerts\/ack\?token=\S+)/);
  if (!url) throw new Error(`no acknowledgement link in:\n${text}`);
  return url[1];
}

describe('alerts until acknowledged', () => {
  it('When an alert is open, then it is mailed and POSTed every 15 minutes until an on-call person acknowledges it from the mail link, once', async () => {
    const t0 = new Date();
    await inTx(db, (tx) => raiseAlert(tx, { kind: 'job_failed', subjectKey: 'reminders', summary: '定期処理「reminders」が失敗しました', detail: 'boom' }));

    await dispatchAndSend(t0);
    expect(smtp.messages.map((mail) => mail.envelopeTo[0]).sort()).toEqual(['duty@example.jp', 'oncall@example.jp']);
    expect(smtp.messages[0].subject).toBe('【障害通知】定期処理「reminders」が失敗しました(第1報)');
    expect(webhook.received).toHaveLength(1);
    expect(webhook.received[0]).toMatchObject({ type: 'alert', kind: 'job_failed', summary: '定期処理「reminders」が失敗しました', notification: 1 });

    await dispatchAndSend(minutes(t0, 5));
    expect(smtp.messages).toHaveLength(2); // not yet due again

    await dispatchAndSend(minutes(t0, 15));
    expect(smtp.messages).toHaveLength(4);
    expect(smtp.messages[3].subject).toContain('第2報');
    expect(webhook.received).toHaveLength(2);

    const oncallMail = smtp.messages.find((mail) => mail.envelopeTo[0] === 'oncall@example.jp')!;
    const link = ackPath(oncallMail.text);
    const agent = browserAgent(app);
    const confirm = await agent.get(link);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('確認済みにする');
    const alert = await db.prisma.alert.findFirstOrThrow();
    expect(alert.acknowledgedAt).toBeNull(); // opening the link (or a mail scanner prefetching it) changes nothing
    const token = new URL(link, 'http://x').searchParams.get('token')!;
    const done = await agent
      .post('/alerts/ack')
      .type('form')
      .send({ _csrf: csrfTokenFrom(confirm.text), token });
    expect(done.text).toContain('確認済みにしました');

    const acknowledged = await db.prisma.alert.findFirstOrThrow();
    expect(acknowledged).toMatchObject({ acknowledgedBy: 'system:mail:oncall@example.jp', acknowledgedVia: 'mail', notifications: 2 });
    expect(acknowledged.acknowledgedAt).not.toBeNull();
    expect(await db.prisma.auditLog.count({ where: { action: 'alert.acknowledge', actorId: 'mail:oncall@example.jp' } })).toBe(1);

    await dispatchAndSend(minutes(t0, 30));
    await dispatchAndSend(minutes(t0, 60));
    expect(smtp.messages).toHaveLength(4); // silence after acknowledgement
    expect(webhook.received).toHaveLength(2);

    const again = await agent
      .post('/alerts/ack')
      .type('form')
      .send({ _csrf: csrfTokenFrom(confirm.text), token });
    expect(again.text).toContain('すでに確認済みです');
    expect(await db.prisma.auditLog.count({ where: { action: 'alert.acknowledge' } })).toBe(1);
  });

  it('When an acknowledgement link is altered, then it is refused and the alert stays open', async () => {
    const t0 = new Date();
    await inTx(db, (tx) => raiseAlert(tx, { kind: 'outbox_backlog', subjectKey: 'outbox', summary: '滞留' }));
    await dispatchAndSend(t0);
    const link = ackPath(smtp.messages[0].text);
    const forged = link.replace(
      /token=([^.]+)\./,
      (_match, payload: string) => `token=${Buffer.from(`${Buffer.from(payload, 'base64url').toString().split('\n')[0]}\nevil@example.jp`).toString('base64url')}.`,
    );
    const agent = browserAgent(app);
    expect((await agent.get(forged)).status).toBe(400);
    const page = await agent.get(link);
    expect(
      (
        await agent
          .post('/alerts/ack')
          .type('form')
          .send({ _csrf: csrfTokenFrom(page.text), token: 'abc.def' })
      ).status,
    ).toBe(400);
    expect((await db.prisma.alert.findFirstOrThrow()).acknowledgedAt).toBeNull();
  });

  it('When an admin acknowledges in the console, then the repeats stop and who and when are kept and audited; other roles cannot', async () => {
    const t0 = new Date();
    const id = await inTx(db, (tx) => raiseAlert(tx, { kind: 'disk_full', subjectKey: '/data', summary: 'ディスク使用率が95%です' }));
    await dispatchAndSend(t0);
    const staff = await createStaff(db, { role: 'staff' });
    const staffUser = await staffAgent(app, staff.user.loginId, staff.password);
    expect((await staffUser.get('/staff/alerts')).status).toBe(403);

    const admin = await createStaff(db, { role: 'admin' });
    const agent = await staffAgent(app, admin.user.loginId, admin.password);
    const page = await agent.get('/staff/alerts');
    expect(page.text).toContain('ディスク使用率が95%です');
    expect(page.text).toContain('未確認');
    const response = await agent
      .post(`/staff/alerts/${id}/acknowledge`)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) });
    expect(response.status).toBe(303);
    expect((await agent.get(response.headers.location)).text).toContain(`確認済み(${admin.user.displayName}`);
    expect(await db.prisma.alert.findUniqueOrThrow({ where: { id } })).toMatchObject({ acknowledgedBy: `staff:${admin.user.id}`, acknowledgedVia: 'console' });
    expect(await db.prisma.auditLog.count({ where: { action: 'alert.acknowledge', actorType: 'staff', actorId: String(admin.user.id) } })).toBe(1);
    await dispatchAndSend(minutes(t0, 20));
    expect(smtp.messages).toHaveLength(2);
  });

  it('When the same failure happens again while its alert is open, then it counts on the open alert instead of opening another', async () => {
    await inTx(db, (tx) => raiseAlert(tx, { kind: 'job_failed', subjectKey: 'x', summary: 'a' }));
    await inTx(db, (tx) => raiseAlert(tx, { kind: 'job_failed', subjectKey: 'x', summary: 'a' }));
    expect(await db.prisma.alert.findMany()).toEqual([expect.objectContaining({ occurrences: 2 })]);
  });
});

/** A TCP proxy in front of PostgreSQL that can be cut and restored, like a network failure. */
/** A TCP proxy to the database (the embedded server listens on 127.0.0.1 besides its Unix socket). */
async function startDatabaseProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const upstreamPort = Number(target.searchParams.get('port') || target.port || 5432);
  const upstreamHost = target.searchParams.has('host') || target.hostname === 'localhost' ? '127.0.0.1' : target.hostname;
  const serve = () =>
    net.createServer((socket) => {
      const upstream = net.connect(upstreamPort, upstreamHost);
      for (const end of [socket, upstream]) {
        sockets.add(end);
        end.on('error', () => {});
        end.on('close', () => sockets.delete(end));
      }
      socket.pipe(upstream).pipe(socket);
    });
  let server = serve();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const listening = (server.address() as AddressInfo).port;
  const proxy = {
    port: listening,
    async down() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      server = serve();
      await new Promise<void>((resolve) => server.listen(listening, '127.0.0.1', resolve));
    },
  };
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return proxy;
}

describe('health monitor', () => {
  const monitorFor = (database: Database = db, options: Partial<ConstructorParameters<typeof HealthMonitor>[0]> = {}) =>
    new HealthMonitor({
      db: database,
      config: context.config,
      baseUrl: 'https://yoyaku.example.lg.jp',
      mailer,
      logger: pino({ level: 'silent' }),
      dataDir: null,
      failuresBeforeAlert: 2,
      probeTimeoutMs: 2000,
      ...options,
    });

  it('When the database becomes unreachable, then on-call is alerted directly by SMTP and webhook, repeatedly, and the alert is recorded once the database is back', async () => {
    const proxy = await startDatabaseProxy(new URL(db.url));
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    for (const param of ['host', 'port']) url.searchParams.delete(param);
    const viaProxy = connectDatabase(url.toString(), 2);
    const monitor = monitorFor(viaProxy);
    const t0 = new Date();
    try {
      await monitor.check(t0);
      expect(monitor.databaseDown).toBe(false);
      await proxy.down();
      await monitor.check(t0); // one failed probe: maybe a blip
      expect(smtp.messages).toHaveLength(0);
      await monitor.check(minutes(t0, 1));
      expect(monitor.databaseDown).toBe(true);
      expect(smtp.messages.map((mail) => mail.envelopeTo[0]).sort()).toEqual(['duty@example.jp', 'oncall@example.jp']);
      expect(smtp.messages[0].subject).toMatch(/データベースに接続できません/);
      expect(webhook.received).toEqual([expect.objectContaining({ kind: 'db_unreachable', notification: 1 })]);

      await monitor.check(minutes(t0, 5));
      expect(smtp.messages).toHaveLength(2);
      await monitor.check(minutes(t0, 16));
      expect(smtp.messages).toHaveLength(4);
      expect(smtp.messages[3].subject).toContain('第2報');

      await proxy.up();
      await monitor.check(minutes(t0, 17));
      expect(monitor.databaseDown).toBe(false);
      const [alert] = await db.prisma.alert.findMany();
      expect(alert).toMatchObject({ kind: 'db_unreachable', notifications: 2, acknowledgedAt: null });
      expect(alert.openedAt.getTime()).toBe(minutes(t0, 1).getTime());
      expect(alert.detail).toContain('直接通知 2 回');
      // The public status page's history shows it, once however many processes saw it.
      const notice = { kind: 'incident', startsAt: minutes(t0, 1), endsAt: minutes(t0, 17), title: 'システムに接続できない状態が発生しました(自動検知)' };
      expect(await db.prisma.statusNotice.findMany({ select: { kind: true, startsAt: true, endsAt: true, title: true } })).toEqual([notice]);

      await dispatchAndSend(minutes(t0, 20)); // last direct notice at +16: not due yet
      expect(smtp.messages).toHaveLength(4);
      await dispatchAndSend(minutes(t0, 32)); // still unacknowledged: repeats through the outbox now
      expect(smtp.messages).toHaveLength(6);
      expect(smtp.messages[5].text).toContain('/alerts/ack?token=');

      // Another process saw the same outage (a little longer): still one notice, widened.
      const otherProcess = monitorFor(viaProxy);
      await proxy.down();
      await otherProcess.check(minutes(t0, 2));
      await otherProcess.check(minutes(t0, 3));
      await proxy.up();
      await otherProcess.check(minutes(t0, 18));
      expect(await db.prisma.statusNotice.findMany({ select: { kind: true, startsAt: true, endsAt: true, title: true } })).toEqual([{ ...notice, endsAt: minutes(t0, 18) }]);
    } finally {
      await viaProxy.close();
    }
  });

  it('When a mail has waited longer than the backlog threshold, then an outbox backlog alert opens', async () => {
    await db.pool.query(
      `INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, created_at) VALUES ('old', 'test', 'a@example.jp', 's', 't', now() - interval '31 minutes'), ('new', 'test', 'b@example.jp', 's', 't', now())`,
    );
    await monitorFor().check();
    const [alert] = await db.prisma.alert.findMany();
    expect(alert).toMatchObject({ kind: 'outbox_backlog', summary: '30分以上送信されていないメールが1通あります' });
  });

  it('When no SMTP is configured, then kept mail is not a backlog', async () => {
    await db.pool.query(
      `INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, created_at) VALUES ('old', 'test', 'a@example.jp', 's', 't', now() - interval '2 hours')`,
    );
    await monitorFor(db, { mailer: null }).check();
    expect(await db.prisma.alert.count()).toBe(0);
  });

  it('When the database disk is fuller than the threshold, then a disk alert opens, and not below it', async () => {
    const { diskUsedPercent } = await import('../../src/features/notify/monitor.js');
    const used = await diskUsedPercent(os.tmpdir());
    await monitorFor(db, { dataDir: os.tmpdir(), config: { ...context.config, DISK_ALERT_PERCENT: Math.min(100, Math.floor(used) + 1) } }).check();
    expect(await db.prisma.alert.count()).toBe(0);
    await monitorFor(db, { dataDir: os.tmpdir(), config: { ...context.config, DISK_ALERT_PERCENT: Math.max(1, Math.floor(used)) } }).check();
    expect(await db.prisma.alert.findMany()).toEqual([expect.objectContaining({ kind: 'disk_full', subjectKey: os.tmpdir() })]);
  });
});
