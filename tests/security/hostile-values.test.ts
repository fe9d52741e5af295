// The requests a black-box probe found answered 500 (issue 11, point 6): NUL bytes in IDs and
// search boxes, integers beyond int4, impossible dates and months, ids that are not ids, a
// duplicate import profile name. Each is now a 400 or 404 (a name taken: 409) in Japanese, and
// nothing changes. tests/security/route-walker.test.ts throws the same values at every route.
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { loggedInCitizen, type Agent } from '../citizen/citizen-agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { signedInStaff } from '../helpers/staff.js';

let t: TestApp;
let admin: Agent;
let citizen: Agent;
let counterId: number;

const JAPANESE = /[ぁ-んァ-ヶ一-龯]{4}/;

beforeAll(async () => {
  t = await createTestApp();
  const counter = await createCounter(t.db);
  counterId = counter.id;
  await createSlot(t.db, { counterId, date: addDays(todayInJapan(), 7) });
  const { noticeId, mmdd } = await createCardHolder(t.db, { counterId });
  citizen = await loggedInCitizen(t.app, noticeId, mmdd);
  admin = (await signedInStaff(t, 'admin')).agent;
});

describe('hostile values get a 400 or 404 in Japanese, never a 500', () => {
  it.each([
    ['the day board', (): string => `/staff/console/counters/${counterId}/day?date=2026-02-31`, 400, '日付を正しく入力してください'],
    ['a date that cannot be read at all to the bookings export', (): string => '/staff/console/export.csv?from=2026-13-45&to=2026-12-01', 400, '日付を正しく入力してください'],
    ['the card search box', (): string => '/staff/cards?q=%00', 400, '入力内容が正しくありません'],
    ['the console search box', (): string => '/staff/console/search?q=a%00b', 400, '入力内容が正しくありません'],
    ['the mail search box', (): string => '/staff/mail?q=%00', 400, '入力内容が正しくありません'],
    ['a staff user id that is not a number', (): string => '/staff/users/abc/edit', 404, '見つかりませんでした'],
    ['a staff user id above 2^31-1', (): string => '/staff/users/99999999999999999999/edit', 404, '見つかりませんでした'],
    ['a staff user id that does not exist', (): string => '/staff/users/2147483647/edit', 404, '見つかりませんでした'],
    ['an import batch id above 2^31-1', (): string => '/staff/cards/imports/99999999999999999999', 400, '入力内容が正しくありません'],
    ['a counter id above 2^31-1', (): string => '/staff/schedule/counters/99999999999999999999', 404, '指定された交付場所が見つかりません'],
    ['a counter id in exponent form', (): string => '/staff/schedule/counters/1e3', 404, '指定された交付場所が見つかりません'],
    ['a month of year 0000 on the counter month view', (): string => `/staff/schedule/counters/${counterId}/month?month=0000-01`, 200, 'テスト交付窓口'], // an unusable month shows the current one
  ] as const)('When an admin sends %s, then the answer is the expected status with a Japanese message', async (_case, url, status, text) => {
    const response = await admin.get(url());
    expect(response.status, response.text.slice(0, 500)).toBe(status);
    expect(response.text).toContain(text);
  });

  it.each([
    ['an impossible date on the day page', (): string => `/booking/counters/${counterId}/days/2026-02-31`],
    ['a month of year 0000 on the calendar', (): string => `/booking/counters/${counterId}?month=0000-01`],
  ] as const)('When a citizen opens %s, then the answer is a 400 in Japanese', async (_case, url) => {
    const response = await citizen.get(url());
    expect(response.status).toBe(400);
    expect(response.text).toMatch(JAPANESE);
  });

  it('When a NUL byte is typed in the notice ID or the staff login ID, then the log-in form answers in Japanese and nobody is logged in', async () => {
    const visitor = browserAgent(t.app);
    const citizenToken = csrfTokenFrom((await visitor.get('/login')).text);
    const citizenLogin = await visitor.post('/login').type('form').send({ _csrf: citizenToken, noticeId: '1234\u00005678', birth: '0401' });
    expect(citizenLogin.status).toBe(400);
    expect(citizenLogin.text).toContain('予約用ID');
    const staffToken = csrfTokenFrom((await visitor.get('/staff/login')).text);
    const staffLogin = await visitor.post('/staff/login').type('form').send({ _csrf: staffToken, loginId: 'admin\u0000', password: 'x' });
    expect(staffLogin.status).toBe(401);
    expect(staffLogin.text).toMatch(JAPANESE);
  });

  it('When an import profile is saved under a name that exists, then the form says the name is taken and nothing is saved', async () => {
    const existing = await t.db.prisma.importProfile.findFirstOrThrow();
    const form = await admin.get('/staff/cards/profiles/new');
    const saved = await admin
      .post('/staff/cards/profiles/new')
      .type('form')
      .send({
        _csrf: csrfTokenFrom(form.text),
        name: existing.name,
        format: 'csv',
        encoding: 'auto',
        hasHeader: 'yes',
        dateFormat: 'YYYYMMDD',
        col_noticeId: '1',
        col_birthDate: '2',
      });
    expect(saved.status).toBe(409);
    expect(saved.text).toContain('同じ名前のレイアウトがすでにあります');
    expect(await t.db.prisma.importProfile.count({ where: { name: existing.name } })).toBe(1);
  });

  it('When a value passes the form but the database refuses it (a counter id beyond int4 on a closure), then the answer is a 400 in Japanese, not a 500', async () => {
    const page = await admin.get('/staff/schedule/closures');
    const response = await admin
      .post('/staff/schedule/closures')
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text), kind: 'single_date', label: '臨時休業', counterId: '99999999999', date: '2026-12-01' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('送信された内容を処理できませんでした');
    expect(await t.db.prisma.closure.count()).toBe(0);
  });

  it('When two admins change the timetable at the same moment (retire, reinstate, regenerate, policy), then none is answered 500', async () => {
    const token = csrfTokenFrom((await admin.get('/staff/password')).text);
    const paths = [
      `/staff/schedule/counters/${counterId}/retire`,
      `/staff/schedule/counters/${counterId}/reinstate`,
      '/staff/schedule/conflicts/regenerate',
      `/staff/schedule/policy/${counterId}`,
    ];
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        admin
          .post(paths[i % paths.length])
          .set('x-csrf-token', token)
          .type('form')
          .send(''),
      ),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status >= 500)).toEqual([]);
  });
});
