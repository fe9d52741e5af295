import { describe, expect, it } from 'vitest';
import { enqueueMail } from '../../src/features/notify/outbox.js';
import { startBackgroundWork } from '../../src/jobs/background.js';
import { createTestApp } from '../helpers/app.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { inTx } from '../helpers/tx.js';

const smtp = await startSmtpServer();

const queue = (db: Awaited<ReturnType<typeof createTestApp>>['db'], key: string) =>
  inTx(db, (tx) => enqueueMail(tx, { dedupeKey: key, kind: 'test', to: 'taro@example.jp', subject: key, text: '本文' }));

describe('background work of an app process', () => {
  it('When started with SMTP, then queued mail is sent by the poller, and after stop() nothing more is sent', async () => {
    const { context, db } = await createTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_SECONDS: '1' });
    const work = startBackgroundWork(context);
    try {
      await queue(db, 'first');
      await smtp.waitFor(1);
      expect(smtp.messages[0].subject).toBe('first');
    } finally {
      await work.stop();
    }
    await queue(db, 'after-stop');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.messages.map((mail) => mail.subject)).toEqual(['first']);
    expect((await db.prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: 'after-stop' } })).status).toBe('pending');
  });

  it('When started with no SMTP, then mail stays in the outbox and stop() still ends the jobs', async () => {
    const { context, db } = await createTestApp({ OUTBOX_POLL_SECONDS: '1' });
    const work = startBackgroundWork(context);
    await queue(db, 'kept');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await work.stop();
    expect((await db.prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: 'kept' } })).status).toBe('pending');
  });
});
