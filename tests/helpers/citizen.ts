// Steps of the citizen's pages shared by the browser tests: logging in with a notice ID and
// reading the email code the app sent (from the outbox, as the person reads their mail).
import type { Page } from 'playwright-core';
import type { Database } from '../../src/db/client.js';

/** Logs in on the log-in page in whatever language the browser reads it (the fields by name, the form's own button). */
export async function logIn(page: Page, base: string, noticeId: string, mmdd: string): Promise<void> {
  await page.goto(base + '/login');
  await page.locator('input[name="noticeId"]').fill(noticeId);
  await page.locator('input[name="birth"]').fill(mmdd);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  await page.waitForURL(/\/booking/);
}

/** The 6-digit code of the last verification mail sent to `email`. */
export async function mailedCode(db: Database, email: string): Promise<string> {
  const mail = await db.prisma.outboxMessage.findFirstOrThrow({ where: { toAddress: email, kind: 'email.verification' }, orderBy: { id: 'desc' } });
  return mail.textBody.match(/確認コード: (\d{6})/)![1];
}
