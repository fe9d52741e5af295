// The admin page of the retention periods: each city's contract sets them; a change is audited;
// bad input is refused with a Japanese message and changes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { retentionPeriods } from '../../src/features/retention/periods.js';
import { retentionPurgeJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { signedInStaff, submitForm } from '../helpers/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const DEFAULTS = { bookings: '365', card_holders: '365', mail: '90', login_attempts: '30', alerts: '365', inquiries: '1095', audit: '1825' };

describe('retention periods page', () => {
  it('When an admin opens the page, then every kind shows with its period and default, and the menu leads there', async () => {
    const { agent } = await signedInStaff(t, 'admin');
    const page = await agent.get('/staff/retention');
    expect(page.status).toBe(200);
    for (const label of ['予約', '交付済みの交付対象者', '送信メール', 'ログイン試行の記録', '確認済みの障害通知', '操作ログ', '1825日']) expect(page.text).toContain(label);
    expect(page.text).toContain('name="audit"');
    expect(page.text).toContain('まだ削除は実行されていません');
    expect((await agent.get('/staff')).text).toContain('href="/staff/retention"');
  });

  it('When an admin saves new periods, then they are in force and the change is audited from and to', async () => {
    const { user, agent } = await signedInStaff(t, 'admin');
    const response = await submitForm(agent, '/staff/retention', '/staff/retention', { ...DEFAULTS, bookings: '730', mail: '60' });
    expect(response.status).toBe(303);
    expect(await retentionPeriods(t.db)).toEqual({ bookings: 730, card_holders: 365, mail: 60, login_attempts: 30, alerts: 365, inquiries: 1095, audit: 1825 });
    const audit = await t.db.prisma.auditLog.findFirstOrThrow({ where: { action: 'retention.update', actorId: String(user.id) } });
    expect(audit.detail).toEqual({ bookings: { from: 365, to: 730 }, mail: { from: 90, to: 60 } });
    const page = await agent.get('/staff/retention?saved=1');
    expect(page.text).toContain('保存期間を保存しました');
    expect(page.text).toContain('value="730"');
  });

  it('When the same change is sent many times at once by two admins, then every request ends well, the period is set once and one audit row tells it', async () => {
    const admins = await Promise.all([signedInStaff(t, 'admin'), signedInStaff(t, 'admin')]);
    const current = await retentionPeriods(t.db);
    const wanted = { ...Object.fromEntries(Object.entries(current).map(([kind, days]) => [kind, String(days)])), alerts: String(current.alerts + 1) };
    const tokens = await Promise.all(admins.map(async ({ agent }) => csrfTokenFrom((await agent.get('/staff/retention')).text)));
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        admins[index % 2].agent
          .post('/staff/retention')
          .type('form')
          .send({ _csrf: tokens[index % 2], ...wanted }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(303));
    expect((await retentionPeriods(t.db)).alerts).toBe(current.alerts + 1);
    const audits = await t.db.prisma.auditLog.findMany({ where: { action: 'retention.update', actorId: { in: admins.map(({ user }) => String(user.id)) } } });
    expect(audits.map((audit) => audit.detail)).toEqual([{ alerts: { from: current.alerts, to: current.alerts + 1 } }]);
  });

  const hostile: [string, Record<string, string | string[]>, string][] = [
    ['a NUL byte', { ...DEFAULTS, mail: '\u0000' }, '日数を半角数字で入力してください'],
    ['a huge number', { ...DEFAULTS, bookings: '99999999999999999999' }, '日数を半角数字で入力してください'],
    ['beyond a hundred years', { ...DEFAULTS, bookings: '36501' }, '範囲の外です'],
    ['an audit period under a year', { ...DEFAULTS, audit: '364' }, '範囲の外です'],
    ['zero days', { ...DEFAULTS, mail: '0' }, '範囲の外です'],
    ['a fraction', { ...DEFAULTS, mail: '1.5' }, '日数を半角数字で入力してください'],
    ['a field sent twice', { ...DEFAULTS, audit: ['400', '500'] }, '日数を半角数字で入力してください'],
    ['a field left out', { bookings: '400', card_holders: '400', mail: '90', login_attempts: '30', alerts: '365' }, '日数を半角数字で入力してください'],
    ['login attempts under a week', { ...DEFAULTS, login_attempts: '6' }, '範囲の外です'],
    ['inquiries kept under a year', { ...DEFAULTS, inquiries: '364' }, '範囲の外です'],
    ['2^31 days of inquiries', { ...DEFAULTS, inquiries: '2147483648' }, '日数を半角数字で入力してください'],
    ['a date for the inquiries period', { ...DEFAULTS, inquiries: '2026-02-31' }, '日数を半角数字で入力してください'],
    ['the inquiries period sent twice', { ...DEFAULTS, inquiries: ['1095', '1096'] }, '日数を半角数字で入力してください'],
  ];
  it.each(hostile)('When the form carries %s, then it answers 400 in Japanese and changes nothing', async (_name, fields, message) => {
    const before = await retentionPeriods(t.db);
    const { agent } = await signedInStaff(t, 'admin');
    const response = await submitForm(agent, '/staff/retention', '/staff/retention', fields);
    expect(response.status).toBe(400);
    expect(response.text).toContain(message);
    expect(response.text).toContain('aria-invalid="true"');
    expect(await retentionPeriods(t.db)).toEqual(before);
  });

  it('When the purge job has run, then the page shows when and how it ended and what it deleted', async () => {
    const context = { config: t.context.config, now: new Date(), baseUrl: 'http://127.0.0.1', secret: 'secret' };
    const { agent } = await signedInStaff(t, 'admin');
    expect(await runJob(t.db, retentionPurgeJob, context)).toMatchObject({ status: 'ok' });
    expect((await agent.get('/staff/retention')).text).toContain('削除するものはありませんでした');
    const old = new Date(Date.now() - 400 * 86_400_000);
    await t.db.prisma.outboxMessage.create({
      data: { dedupeKey: 'page:old', kind: 'alert', toAddress: 'a@example.jp', subject: 's', textBody: 'b', status: 'sent', createdAt: old },
    });
    expect(await runJob(t.db, retentionPurgeJob, context)).toMatchObject({ status: 'ok', counts: { outbox_messages: 1 } });
    const page = await agent.get('/staff/retention');
    expect(page.text).toContain('に実行(完了)');
    expect(page.text).toMatch(/<td>送信メール<\/td><td>1<\/td>/);
  });

  it('When a clerk asks for the page, then it is refused', async () => {
    const { agent } = await signedInStaff(t, 'staff');
    expect((await agent.get('/staff/retention')).status).toBe(403);
  });
});
