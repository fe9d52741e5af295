// Steps of the citizen's pages shared by the browser tests: logging in with a notice ID and
// reading the email code the app sent (from the outbox, as the person reads their mail).
import type { Page } from 'playwright-core';
import type { Database } from '../../src/db/client.js';

export async function logIn(page: Page, base: string, noticeId: string, mmdd: string): Promise<void> {
  await page.goto(base + '/login');
  await page.getByLabel('予約用ID(交付通知書に記載)').fill(noticeId);
  await page.getByLabel('生年月日の月日(4桁)').fill(mmdd);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(/\/booking/);
}

/** The 6-digit code of the last verification mail sent to `email`. */
export async function mailedCode(db: Database, email: string): Promise<string> {
  const mail = await db.prisma.outboxMessage.findFirstOrThrow({ where: { toAddress: email, kind: 'email.verification' }, orderBy: { id: 'desc' } });
  return mail.textBody.match(/確認コード: (\d{6})/)![1];
}
