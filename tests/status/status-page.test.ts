// The public status page (issue 17.5): anyone may read it without logging in; it says whether
// booking works, shows the notices staff post (now, coming, the last 30 days) and nothing
// personal; it is still served when the database is down. Staff post and change notices in the
// console; bad input is refused in Japanese and changes nothing.
import request from 'supertest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { connectDatabase } from '../../src/db/client.js';
import { loadConfig } from '../../src/config.js';
import { pino } from 'pino';
import { addDays, jstInstant } from '../../src/lib/jst.js';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { transaction } from '../../src/db/transaction.js';
import { recordDetectedOutage } from '../../src/features/status/notices.js';
import { createCardHolder } from '../helpers/factories.js';
import { postForm, staffOf } from '../console/helpers.js';

const { today } = pinClock('2027-02-10T10:00:00+09:00');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

const notice = (fields: Record<string, string>) => ({ kind: 'maintenance', title: '', body: '', startDate: today, startTime: '10:00', endDate: '', endTime: '', ...fields });

describe('the public status page', () => {
  it('When staff post a maintenance ahead, an incident now and one that ended last week, then anyone sees each in its place with no log-in and no personal data', async () => {
    const holder = await createCardHolder(t.db);
    const { agent } = await staffOf(t, 'staff');
    const post = (fields: Record<string, string>) => postForm(agent, '/staff/status/new', '/staff/status/new', notice(fields));
    expect(
      (
        await post({
          title: '定期メンテナンス',
          body: '2月20日 22時から翌2時まで予約できません。',
          startDate: addDays(today, 10),
          startTime: '22:00',
          endDate: addDays(today, 11),
          endTime: '02:00',
        })
      ).status,
    ).toBe(303);
    expect((await post({ kind: 'incident', title: 'メールが届きにくくなっています', startTime: '09:30' })).status).toBe(303);
    await post({ kind: 'incident', title: '先週の障害', startDate: addDays(today, -7), startTime: '09:00', endDate: addDays(today, -7), endTime: '11:00' });
    await post({ kind: 'incident', title: '去年の障害', startDate: addDays(today, -60), startTime: '09:00', endDate: addDays(today, -60), endTime: '11:00' });

    const page = await request(t.app).get('/status');
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeUndefined();
    const section = (id: string) => {
      const from = page.text.indexOf(`id="${id}-heading"`);
      return page.text.slice(from, page.text.indexOf('</section>', from)).replace(/<[^>]+>/g, '');
    };
    expect(page.text).toContain('予約を受け付けています');
    expect(section('current')).toContain('[障害] メールが届きにくくなっています');
    expect(section('current')).toContain('2027年2月10日(水) 9:30 から(継続中)');
    expect(section('upcoming')).toContain('[メンテナンス] 定期メンテナンス');
    expect(section('upcoming')).toContain('2027年2月20日(土) 22:00 から 2027年2月21日(日) 2:00 まで');
    expect(section('past')).toContain('先週の障害');
    expect(page.text).not.toContain('去年の障害');
    for (const secret of [holder.noticeId, holder.holder.name, 'staff:']) expect(page.text).not.toContain(secret);
  });

  it('When the database stops answering, then the page is still served, says booking is not possible, and keeps the notices it last read', async () => {
    const own = await createTestApp();
    await own.db.query(`INSERT INTO status_notices (kind, title, starts_at, created_by, updated_at) VALUES ('incident', '読み込み済みのお知らせ', $1, 'staff:1', now())`, [
      jstInstant(today, 9 * 60),
    ]);
    expect((await request(own.app).get('/status')).text).toContain('読み込み済みのお知らせ');
    // Its database stops taking connections, and the ones open are cut.
    const name = new URL(own.db.url).pathname.slice(1);
    await t.db.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
    await t.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 16_000); // past the page's 15 seconds of trusting its last answer
    const started = performance.now();
    let down: request.Response;
    try {
      down = await request(own.app).get('/status');
    } finally {
      vi.useRealTimers();
    }
    expect(down.status).toBe(200);
    expect(down.text).toContain('ただいま予約を受け付けられません');
    expect(down.text).toContain('読み込み済みのお知らせ');
    expect(performance.now() - started).toBeLessThan(3_000);
    await t.db.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
  });

  it('When the app starts while its database is down, then the page is served at once and says booking is not possible', async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:1/none' });
    const db = connectDatabase(config.DATABASE_URL!, 1);
    const app = createApp({ config, db, secrets: TEST_SECRETS, logger: pino({ level: 'silent' }) });
    const page = await request(app).get('/status');
    expect(page.status).toBe(200);
    expect(page.text).toContain('ただいま予約を受け付けられません');
    expect(page.text).toContain('現在、お知らせはありません。');
    await db.close();
  });
});

describe('posting notices in the console', () => {
  it('When the form has mistakes (no title, end before start, half an end, NUL bytes, an unknown kind), then each is named in Japanese and nothing is saved', async () => {
    const { agent } = await staffOf(t, 'admin');
    const before = await t.db.prisma.statusNotice.count();
    const cases: [Record<string, string>, string][] = [
      [{ title: '' }, '見出しを入力してください。'],
      [{ title: 'a', endDate: today, endTime: '09:00' }, '終了は開始より後の日時にしてください。'],
      [{ title: 'a', endDate: today }, '終了は日付と時刻の両方を入力するか'],
      [{ title: 'a\u0000b' }, '見出しは100文字以内の1行で入力してください。'],
      [{ title: 'a', body: 'x\u0000' }, '本文は2000文字以内で入力してください'],
      [{ title: 'a', kind: 'outage' }, '種類を選んでください。'],
      [{ title: 'a', startDate: '2027-02-30' }, '日付を正しく入力してください'],
      [{ title: 'a', startTime: '25:00' }, '時刻を正しく入力してください'],
      [{ title: 'x'.repeat(101) }, '見出しは100文字以内の1行で入力してください。'],
    ];
    for (const [fields, message] of cases) {
      const response = await postForm(agent, '/staff/status/new', '/staff/status/new', notice(fields));
      expect(response.status, JSON.stringify(fields)).toBe(400);
      expect(response.text).toContain(message);
    }
    const doubled = await postForm(agent, '/staff/status/new', '/staff/status/new', { ...notice({ title: 'a' }), kind: ['maintenance', 'incident'] as unknown as string });
    expect(doubled.status).toBe(400);
    expect(await t.db.prisma.statusNotice.count()).toBe(before);
  });

  it('When staff end an incident by giving its end, then the public page moves it to the past within the refresh, and the change is audited', async () => {
    const { agent, user } = await staffOf(t, 'staff');
    await postForm(agent, '/staff/status/new', '/staff/status/new', notice({ kind: 'incident', title: '終わる障害', startTime: '08:00' }));
    const created = await t.db.prisma.statusNotice.findFirstOrThrow({ where: { title: '終わる障害' } });
    const edit = `/staff/status/${created.id}/edit`;
    expect((await agent.get(edit)).text).toContain('value="08:00"');
    expect((await postForm(agent, edit, edit, notice({ kind: 'incident', title: '終わる障害', startTime: '08:00', endDate: today, endTime: '09:30' }))).status).toBe(303);
    const page = (await request(t.app).get('/status')).text;
    expect(page.slice(page.indexOf('id="past-heading"'))).toContain('終わる障害');
    const audit = await t.db.prisma.auditLog.findMany({ where: { actorId: String(user.id), targetType: 'status_notice' }, orderBy: { id: 'asc' } });
    expect(audit.map((row) => row.action)).toEqual(['status.notice.create', 'status.notice.update']);
    for (const id of ['999999', '2147483648', '%00', '1e3']) expect((await agent.get(`/staff/status/${id}/edit`)).status, id).toBe(404);
  });

  it('When an operator tries the notice pages, then they are refused', async () => {
    const { agent } = await staffOf(t, 'operator');
    expect((await agent.get('/staff/status')).status).toBe(403);
  });

  it('When eight processes record the same outage at once, each seeing a slightly different period, then the page has one notice covering them all', async () => {
    const minute = (n: number) => jstInstant(addDays(today, -2), 3 * 60 + n);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => transaction(t.db, { type: 'system', id: 'monitor' }, (tx) => recordDetectedOutage(tx, minute(i), minute(20 + i)), { models: false })),
    );
    const detected = await t.db.prisma.statusNotice.findMany({ where: { createdBy: 'system:monitor' } });
    expect(detected.map(({ kind, startsAt, endsAt }) => ({ kind, startsAt, endsAt }))).toEqual([{ kind: 'incident', startsAt: minute(0), endsAt: minute(27) }]);
  });
});
