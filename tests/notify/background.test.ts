// The outbox poller of an app process. Only the poll interval is faked (vi fake setInterval), so
// each poll happens when the test says; the drain itself talks to the real database and SMTP.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { enqueueMail } from '../../src/features/notify/outbox.js';
import { startBackgroundWork } from '../../src/jobs/background.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { inTx } from '../helpers/tx.js';

const smtp = await startSmtpServer();
const POLL_SECONDS = 7;

const queue = (t: TestApp, key: string) => inTx(t.db, (tx) => enqueueMail(tx, { dedupeKey: key, kind: 'test', to: 'taro@example.jp', subject: key, text: '本文' }));
const outboxRow = (t: TestApp, key: string) => t.db.prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: key }, select: { status: true, attempts: true } });
const subjects = () => smtp.messages.map((mail) => mail.subject);

/**
 * Lets one poll period pass and waits for `key` to arrive; a second period is allowed in case the
 * first poll found the previous drain still running (polls never overlap).
 */
async function sentWithinTwoPolls(key: string) {
  for (let poll = 0; poll < 2; poll += 1) {
    vi.advanceTimersByTime(POLL_SECONDS * 1000);
    const arrived = await smtp.waitFor(smtp.messages.length + 1, 5_000).then(
      () => subjects().includes(key),
      () => false,
    );
    if (arrived) return;
  }
  throw new Error(`${key} was not sent within two poll periods; received ${subjects().join(', ')}`);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('background work of an app process', () => {
  it('When started with SMTP, then mail queued later is sent on the next poll, every OUTBOX_POLL_SECONDS', async () => {
    const t = await createTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_SECONDS: String(POLL_SECONDS) });
    const work = startBackgroundWork(t.context);
    try {
      for (const key of ['poll-1', 'poll-2']) {
        await queue(t, key);
        await sentWithinTwoPolls(key);
        // The SMTP server has it; the row is marked sent once the server's answer reaches the worker.
        await expect.poll(() => outboxRow(t, key), { timeout: 5_000 }).toEqual({ status: 'sent', attempts: 1 });
      }
    } finally {
      await work.stop();
    }
  });

  it('When stopped, then the drain under way finishes before stop() returns, and no poll runs afterwards', async () => {
    const t = await createTestApp({ SMTP_URL: smtp.url, OUTBOX_POLL_SECONDS: String(POLL_SECONDS) });
    await queue(t, 'in-flight');
    const work = startBackgroundWork(t.context); // polls once at start
    await work.stop();
    expect(await outboxRow(t, 'in-flight')).toEqual({ status: 'sent', attempts: 1 });
    expect(subjects()).toContain('in-flight');

    await queue(t, 'after-stop');
    vi.advanceTimersByTime(10 * POLL_SECONDS * 1000);
    await work.stop(); // waits for any work a stray poll would have started
    expect(await outboxRow(t, 'after-stop')).toEqual({ status: 'pending', attempts: 0 });
    expect(subjects()).not.toContain('after-stop');
  });

  it('When started with no SMTP, then mail stays in the outbox untried however many polls pass, and stop() ends the jobs', async () => {
    const t = await createTestApp({ OUTBOX_POLL_SECONDS: String(POLL_SECONDS) });
    await queue(t, 'kept');
    const work = startBackgroundWork(t.context);
    vi.advanceTimersByTime(10 * POLL_SECONDS * 1000);
    await work.stop();
    expect(await outboxRow(t, 'kept')).toEqual({ status: 'pending', attempts: 0 });
    expect(subjects()).not.toContain('kept');
  });
});
