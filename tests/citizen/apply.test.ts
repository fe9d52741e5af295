// Booking a procedure without a notice ID, through the pages as a person does it: choose the
// procedure, prove the email with the mailed code, say who one is, then book on the booking
// pages. Each step needs the one before it in the same session; bad input changes nothing.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays } from '../../src/lib/jst.js';
import { setClock } from '../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCounter, createSlot } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { book, tapTime, type Agent } from './citizen-agent.js';
import { CITIZEN_COOKIE, citizenCookieOf, openCitizenCookie, resealed } from './citizen-cookie.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const day = addDays(today, 7);
let t: TestApp;
let slots: { application: number; renewal: number };

beforeAll(async () => {
  t = await createTestApp({ CALL_CENTER_PHONE: '06-1234-5678' });
  await t.db.prisma.procedure.createMany({
    data: [
      { code: 'application', name: 'マイナンバーカードの申請', needsNoticeId: false, documents: ['本人確認書類', '顔写真'], displayOrder: 2 },
      { code: 'renewal', name: '電子証明書の更新', needsNoticeId: false, displayOrder: 1 },
      { code: 'old-renewal', name: '旧・電子証明書の更新', needsNoticeId: false, retiredAt: new Date('2026-01-01T00:00:00Z') },
      { code: 'nowhere', name: 'どこでも扱わない手続き', needsNoticeId: false },
      { code: 'closed-only', name: '閉じた窓口だけの手続き', needsNoticeId: false },
    ],
  });
  const counter = await t.db.prisma.counter.create({
    data: {
      code: 'apply-center',
      name: '申請センター',
      windows: 2,
      procedures: { create: [{ procedureCode: 'application' }, { procedureCode: 'renewal' }, { procedureCode: 'old-renewal' }] },
    },
  });
  const pickupOnly = await createCounter(t.db, { name: '受け取り専用窓口' });
  await t.db.prisma.counter.create({ data: { code: 'closed', name: '閉鎖した窓口', windows: 1, retiredAt: now, procedures: { create: [{ procedureCode: 'closed-only' }] } } });
  await createSlot(t.db, { counterId: pickupOnly.id, date: day, capacity: 5 });
  slots = {
    application: (await createSlot(t.db, { counterId: counter.id, date: day, capacity: 5 })).id,
    renewal: (await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 10 * 60, capacity: 5 })).id,
  };
});

// Every request comes from 127.0.0.1: each test starts with that address's budgets unspent.
beforeEach(async () => {
  setClock(now);
  await t.db.pool.query('TRUNCATE citizen_login_throttles');
});

const alertOf = (html: string) => html.match(/role="alert"[^>]*>([^<]*)</)?.[1];
const fieldErrorOf = (html: string, field: string) => html.match(new RegExp(`id="${field}-error">([^<]*)<`))?.[1];
const count = async (table: 'applicants' | 'email_verifications' | 'bookings') => (await t.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

/** Posts to `page` with `fields` and the session's CSRF token (from the page, or from the log-in page when it redirects). */
async function submit(agent: Agent, page: string, fields: Record<string, unknown>) {
  const shown = await agent.get(page);
  const token = csrfTokenFrom(shown.status === 200 ? shown.text : (await agent.get('/login')).text);
  return agent
    .post(page)
    .type('form')
    .send({ _csrf: token, ...fields } as Record<string, string>);
}

/** The code in the last verification mail to `email`, as the person reads it. */
async function mailedCode(email: string, db: TestApp['db'] = t.db): Promise<string> {
  const { rows } = await db.pool.query<{ text: string }>(
    `SELECT text_body AS text FROM outbox_messages WHERE to_address = $1 AND kind = 'email.verification' ORDER BY id DESC LIMIT 1`,
    [email],
  );
  return rows[0].text.match(/確認コード: (\d{6})/)![1];
}

/** Asks for a code; returns the session cookie that now holds it. */
async function requestCode(agent: Agent, procedure: string, email: string) {
  const sent = await submit(agent, `/apply/${procedure}`, { email, emailAgain: email });
  expect(sent.status, sent.text).toBe(303);
  expect(sent.headers.location).toBe(`/apply/${procedure}/code`);
  return citizenCookieOf(sent)!;
}

/** Asks for a code and enters it; returns the session cookie that now holds the confirmed verification. */
async function verify(agent: Agent, procedure: string, email: string) {
  await requestCode(agent, procedure, email);
  const confirmed = await submit(agent, `/apply/${procedure}/code`, { code: await mailedCode(email) });
  expect(confirmed.status, confirmed.text).toBe(303);
  expect(confirmed.headers.location).toBe(`/apply/${procedure}/identity`);
  return citizenCookieOf(confirmed)!;
}

const TARO = { nameKana: 'やまだ たろう', birthDate: '19900401' };

/** A person who proved `email` and said who they are: logged in as an applicant for `procedure`. */
async function applicant(procedure: string, email: string, identity: Record<string, string> = TARO) {
  const agent = browserAgent(t.app);
  await verify(agent, procedure, email);
  const identified = await submit(agent, `/apply/${procedure}/identity`, identity);
  expect(identified.status, identified.text).toBe(303);
  expect(identified.headers.location).toBe('/booking');
  return agent;
}

describe('apply: choosing a procedure', () => {
  it('When the start page is shown, then it leads to the procedures that need no notice ID', async () => {
    expect((await browserAgent(t.app).get('/')).text).toContain('href="/apply"');
  });

  it('When the list is shown, then it has the bookable procedures in display order with their documents, and nothing else', async () => {
    const page = await browserAgent(t.app).get('/apply');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text.indexOf('電子証明書の更新を予約する')).toBeLessThan(page.text.indexOf('マイナンバーカードの申請を予約する'));
    expect(page.text).toContain('<li>本人確認書類</li>');
    expect(page.text).toContain('href="/apply/application"');
    for (const hidden of ['old-renewal', 'nowhere', 'closed-only', 'pickup']) expect(page.text).not.toContain(`href="/apply/${hidden}"`);
  });

  it.each([
    ['the card pickup', 'pickup'],
    ['a retired procedure', 'old-renewal'],
    ['a procedure no counter offers', 'nowhere'],
    ['a procedure offered only at a retired counter', 'closed-only'],
    ['an unknown code', 'unknown'],
    ['a NUL byte', 'BAD%00'],
    ['10 KB', 'a'.repeat(10_000)],
  ])('When the page of %s is asked for, then it is a page saying the procedure cannot be booked here', async (_case, code) => {
    const agent = browserAgent(t.app);
    const page = await agent.get(`/apply/${code}`);
    expect(page.status).toBe(404);
    expect(page.text).toContain('この手続きは、現在この方法では予約できません');
    expect((await submit(agent, `/apply/${code}`, { email: 'a@example.jp', emailAgain: 'a@example.jp' })).status).toBe(404);
  });
});

describe('apply: the whole way to a booking', () => {
  it('When a person proves their email and says who they are, then they book the procedure at a counter offering it, with that email', async () => {
    const agent = await applicant('application', 'hanako@example.jp');
    const counters = await agent.get('/booking').redirects(2);
    expect(counters.status).toBe(200);
    expect(counters.text).toContain('申請センター');
    expect(counters.text).not.toContain('受け取り専用窓口');

    const done = await book(agent, slots.application, 'ignored@example.jp');
    expect(done.status, done.text).toBe(303);
    expect(done.headers.location).toBe('/booking?done=booked');
    const [booking] = await t.db.prisma.booking.findMany({ where: { slotId: slots.application, status: 'active' }, include: { applicant: true } });
    expect(booking).toMatchObject({ procedureCode: 'application', email: 'hanako@example.jp', cardHolderId: null, applicant: { nameKana: 'ヤマダタロウ' } });
    const mails = await t.db.prisma.outboxMessage.findMany({ where: { bookingId: booking.id } });
    expect(mails.map((mail) => mail.toAddress)).toContain('hanako@example.jp');
    // Without a notice ID, the mail leads back through the procedure page, not the notice log-in.
    const confirmation = mails.find((mail) => mail.kind === 'booking.confirmation')!;
    expect(confirmation.textBody).toContain('/apply');
    expect(confirmation.textBody).not.toContain('予約用ID');
    expect((await agent.get('/booking')).text).toContain(booking.code);
  });

  it('When the same person comes again, then they are the same applicant: the same procedure is refused as booked, another is allowed', async () => {
    const identity = { nameKana: 'スズキ イチロウ', birthDate: '１９８０１２２４' };
    const first = await applicant('application', 'ichiro@example.jp', identity);
    expect((await book(first, slots.application)).headers.location).toBe('/booking?done=booked');

    const before = await count('applicants');
    const again = await applicant('application', 'ichiro2@example.jp', { nameKana: 'すずき いちろう', birthDate: '19801224' });
    expect(await count('applicants')).toBe(before);
    const shown = await again.get('/booking');
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('予約内容');
    expect((await tapTime(again, slots.application)).headers.location).toBe('/booking');

    const other = await applicant('renewal', 'ichiro@example.jp', identity);
    expect((await book(other, slots.renewal)).headers.location).toBe('/booking?done=booked');
    expect(await count('applicants')).toBe(before);
    const applicantId = (await t.db.prisma.booking.findFirstOrThrow({ where: { email: 'ichiro@example.jp', procedureCode: 'renewal' } })).applicantId;
    const bookings = await t.db.prisma.booking.findMany({ where: { applicantId, status: 'active' }, orderBy: { procedureCode: 'asc' } });
    expect(bookings.map((booking) => booking.procedureCode)).toEqual(['application', 'renewal']);
  });

  it('When an applicant who is logged in opens a procedure again, then they are sent to their booking pages', async () => {
    const agent = await applicant('renewal', 'logged-in@example.jp', { nameKana: 'タナカ', birthDate: '19700101' });
    expect((await agent.get('/apply/application')).headers.location).toBe('/booking');
    expect((await agent.get('/apply')).text).toContain('ログイン中です');
  });
});

describe('apply: each step needs the one before it, in the same session', () => {
  it('When the identity step is sent without a confirmed code, then nobody is made or logged in and the person starts again', async () => {
    const agent = browserAgent(t.app);
    expect((await agent.get('/apply/application/identity')).headers.location).toBe('/apply/application');
    const before = await count('applicants');
    const token = csrfTokenFrom((await agent.get('/apply/application')).text);
    const sent = await agent
      .post('/apply/application/identity')
      .type('form')
      .send({ _csrf: token, ...TARO });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/apply/application');
    expect((await agent.get('/apply/application')).text).toContain('メールアドレスの確認からやり直してください');
    expect((await agent.get('/booking')).headers.location).toBe('/login');

    await requestCode(agent, 'application', 'not-yet@example.jp'); // a code sent, not yet entered
    expect((await submit(agent, '/apply/application/identity', TARO)).headers.location).toBe('/apply/application');
    expect(await count('applicants')).toBe(before);
  });

  it('When the code was confirmed for one procedure, then the identity step of another is refused', async () => {
    const agent = browserAgent(t.app);
    await verify(agent, 'renewal', 'switch@example.jp');
    const before = await count('applicants');
    expect((await agent.get('/apply/application/identity')).headers.location).toBe('/apply/application');
    expect(await count('applicants')).toBe(before);
  });

  it("When another session's verification and its right code are used, then they are refused; the person who asked can still use the code", async () => {
    const owner = browserAgent(t.app);
    const stolen = openCitizenCookie(await requestCode(owner, 'application', 'owner@example.jp'))!.data.apply as { sent: unknown };
    const intruder = browserAgent(t.app);
    const cookie = await requestCode(intruder, 'application', 'intruder@example.jp');
    intruder.jar.setCookie(`${CITIZEN_COOKIE}=${resealed(cookie, (payload) => ((payload.data.apply as { sent: unknown }).sent = stolen.sent))}`);

    const refused = await submit(intruder, '/apply/application/code', { code: await mailedCode('owner@example.jp') });
    expect(refused.status).toBe(400);
    expect(alertOf(refused.text)).toContain('確認コードが正しくありません');
    const confirmed = await submit(owner, '/apply/application/code', { code: await mailedCode('owner@example.jp') });
    expect(confirmed.headers.location).toBe('/apply/application/identity');
  });

  it('When a logged-out applicant replays the cookie that held their confirmed code, then the identity step is refused', async () => {
    const agent = browserAgent(t.app);
    const verifiedCookie = await verify(agent, 'renewal', 'replay@example.jp');
    expect((await submit(agent, '/apply/renewal/identity', { nameKana: 'サイトウ', birthDate: '19600606' })).headers.location).toBe('/booking');
    const logout = await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfTokenFrom((await agent.get('/booking').redirects(2)).text) });
    expect(logout.headers.location).toBe('/login?loggedOut=1');

    const replay = browserAgent(t.app);
    replay.jar.setCookie(`${CITIZEN_COOKIE}=${verifiedCookie}`);
    expect((await submit(replay, '/apply/renewal/identity', { nameKana: 'ベツジン', birthDate: '19600607' })).headers.location).toBe('/apply/renewal');
  });

  it('When the cookie that held a confirmed code is copied while its applicant is still logged in, then the copy cannot say who it is (the verification identifies once)', async () => {
    const agent = browserAgent(t.app);
    const verifiedCookie = await verify(agent, 'renewal', 'copied@example.jp');
    expect((await submit(agent, '/apply/renewal/identity', { nameKana: 'コピー モト', birthDate: '19700707' })).headers.location).toBe('/booking');
    const copy = browserAgent(t.app);
    copy.jar.setCookie(`${CITIZEN_COOKIE}=${verifiedCookie}`);
    const applicants = await count('applicants');
    expect((await submit(copy, '/apply/renewal/identity', { nameKana: 'ベツジン', birthDate: '19700708' })).headers.location).toBe('/apply/renewal');
    expect(await count('applicants')).toBe(applicants);
    expect((await agent.get('/booking')).status).not.toBe(302);
  });

  it('When ten copies of the cookie that holds a confirmed code send the identity step at the same moment, each as a different person, then exactly one becomes an applicant', async () => {
    const agent = browserAgent(t.app);
    const verifiedCookie = await verify(agent, 'renewal', 'burst@example.jp');
    const token = csrfTokenFrom((await agent.get('/apply/renewal/identity')).text);
    const applicants = await count('applicants');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const copy = browserAgent(t.app);
        copy.jar.setCookie(`${CITIZEN_COOKIE}=${verifiedCookie}`);
        return copy
          .post('/apply/renewal/identity')
          .type('form')
          .send({ _csrf: token, nameKana: `レンダ ${'アイウエオカキクケコ'[i]}`, birthDate: '19700709' });
      }),
    );
    expect(answers.map((answer) => answer.headers.location).sort()).toEqual(['/booking', ...Array(9).fill('/apply/renewal')].sort());
    expect(await count('applicants')).toBe(applicants + 1);
  });
});

describe('apply: refusals people can read', () => {
  it('When the code is wrong, late, or guessed too often, then each is said plainly and the person can ask again', async () => {
    const agent = browserAgent(t.app);
    await requestCode(agent, 'application', 'slow@example.jp');
    const right = await mailedCode('slow@example.jp');
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const invalid = await submit(agent, '/apply/application/code', { code: wrong });
    expect(invalid.status).toBe(400);
    expect(alertOf(invalid.text)).toBe('確認コードが正しくありません。メールに記載された6桁の数字を入力してください。');
    expect(invalid.text).toContain('aria-invalid="true"');

    setClock(new Date(now.getTime() + 16 * 60_000));
    const expired = await submit(agent, '/apply/application/code', { code: right });
    expect(alertOf(expired.text)).toContain('確認コードの有効期限が切れました');
    expect(expired.text).toContain('<a href="/apply/application" class="button button-primary">');

    setClock(now);
    await requestCode(agent, 'application', 'guess@example.jp');
    const code = await mailedCode('guess@example.jp');
    for (let n = 1; n <= 5; n += 1) await submit(agent, '/apply/application/code', { code: String((Number(code) + n) % 1_000_000).padStart(6, '0') });
    const tooMany = await submit(agent, '/apply/application/code', { code });
    expect(alertOf(tooMany.text)).toContain('このコードは使えなくなりました');
  });

  it('When codes are asked for too often, then the person is told to wait or to phone the call center, and nothing is sent', async () => {
    const agent = browserAgent(t.app);
    for (let n = 0; n < 5; n += 1) await requestCode(agent, 'application', 'busy@example.jp');
    const before = await count('email_verifications');
    const throttled = await submit(agent, '/apply/application', { email: 'busy@example.jp', emailAgain: 'busy@example.jp' });
    expect(throttled.status).toBe(429);
    expect(alertOf(throttled.text)).toContain('コールセンター(06-1234-5678)へお電話ください');
    expect(throttled.text).toContain('value="busy@example.jp"');
    expect(await count('email_verifications')).toBe(before);
  });

  it('When the code is typed in full-width digits with spaces, then it is accepted', async () => {
    const agent = browserAgent(t.app);
    await requestCode(agent, 'renewal', 'wide@example.jp');
    const wide = [...(await mailedCode('wide@example.jp'))].map((digit) => String.fromCharCode(digit.charCodeAt(0) + 0xfee0)).join('');
    expect((await submit(agent, '/apply/renewal/code', { code: ` ${wide.slice(0, 3)} ${wide.slice(3)} ` })).headers.location).toBe('/apply/renewal/identity');
  });
});

describe('apply: hostile input gets a Japanese message and changes nothing', () => {
  const huge = 'a'.repeat(10_000); // 10 KB
  const snapshot = async () => [await count('applicants'), await count('email_verifications'), await count('bookings')];

  it.each([
    ['no fields', {}, 'email', 'メールアドレスを入力してください。'],
    ['a NUL byte', { email: 'a\u0000@example.jp', emailAgain: 'a\u0000@example.jp' }, 'email', 'メールアドレスの形式が正しくありません(例: name@example.jp)。'],
    ['10 KB', { email: huge, emailAgain: huge }, 'email', 'メールアドレスの形式が正しくありません(例: name@example.jp)。'],
    ['a doubled field', { email: ['a@example.jp', 'b@example.jp'], emailAgain: 'a@example.jp' }, 'email', 'メールアドレスの形式が正しくありません(例: name@example.jp)。'],
    ['two addresses', { email: 'a@example.jp', emailAgain: 'b@example.jp' }, 'emailAgain', '確認用のメールアドレスが一致しません。'],
    ['a doubled second field', { email: 'a@example.jp', emailAgain: ['a@example.jp', 'a@example.jp'] }, 'emailAgain', '確認用のメールアドレスが一致しません。'],
  ])('When the email form has %s, then it says so and sends nothing', async (_case, fields, field, message) => {
    const before = await snapshot();
    const page = await submit(browserAgent(t.app), '/apply/application', fields);
    expect(page.status).toBe(400);
    expect(fieldErrorOf(page.text, field)).toBe(message);
    expect(page.text).toContain(`aria-describedby="${field === 'email' ? 'email-hint ' : ''}${field}-error"`);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['no fields', {}, '確認コードを入力してください。'],
    ['a NUL byte', { code: '12\u00003456' }, '確認コードは6桁の数字で入力してください。'],
    ['10 KB', { code: huge }, '確認コードは6桁の数字で入力してください。'],
    ['a doubled field', { code: ['123456', '654321'] }, '確認コードは6桁の数字で入力してください。'],
    ['five digits', { code: '12345' }, '確認コードは6桁の数字で入力してください。'],
  ])('When the code form has %s, then it says so and counts no attempt', async (_case, fields, message) => {
    const agent = browserAgent(t.app);
    await requestCode(agent, 'application', 'hostile-code@example.jp');
    const page = await submit(agent, '/apply/application/code', fields);
    expect(page.status).toBe(400);
    expect(fieldErrorOf(page.text, 'code')).toBe(message);
    const { rows } = await t.db.pool.query<{ attempts: number }>(`SELECT attempts FROM email_verifications ORDER BY created_at DESC, id LIMIT 1`);
    expect(rows[0].attempts).toBe(0);
  });

  it.each([
    ['no fields', {}, { nameKana: 'お名前(フリガナ)を入力してください。', birthDate: '生年月日を入力してください。' }],
    [
      'NUL bytes',
      { nameKana: 'ヤマダ\u0000', birthDate: '1990\u00000401' },
      { nameKana: 'お名前は、カタカナまたはひらがなで50文字以内で入力してください。', birthDate: '生年月日は、西暦の8桁の数字で入力してください(例: 19900401)。' },
    ],
    [
      '10 KB',
      { nameKana: huge, birthDate: huge },
      { nameKana: 'お名前は、カタカナまたはひらがなで50文字以内で入力してください。', birthDate: '生年月日は、西暦の8桁の数字で入力してください(例: 19900401)。' },
    ],
    [
      'doubled fields',
      { nameKana: ['ヤマダ', 'タロウ'], birthDate: ['19900401', '19900402'] },
      { nameKana: 'お名前は、カタカナまたはひらがなで50文字以内で入力してください。', birthDate: '生年月日は、西暦の8桁の数字で入力してください(例: 19900401)。' },
    ],
    [
      'kanji and a future date',
      { nameKana: '山田', birthDate: '20270114' },
      { nameKana: 'お名前は、カタカナまたはひらがなで50文字以内で入力してください。', birthDate: '生年月日が正しくありません。1900年以降の、今日までの日付を入力してください。' },
    ],
  ])('When the identity form has %s, then each field says what is wrong and nobody is made', async (_case, fields, messages) => {
    const agent = browserAgent(t.app);
    await verify(agent, 'application', 'hostile-identity@example.jp');
    const before = await snapshot();
    const page = await submit(agent, '/apply/application/identity', fields);
    expect(page.status).toBe(400);
    for (const [field, message] of Object.entries(messages)) {
      expect(fieldErrorOf(page.text, field)).toBe(message);
      expect(page.text).toContain(`aria-describedby="${field}-hint ${field}-error" aria-invalid="true"`);
    }
    expect(await snapshot()).toEqual(before);
    expect((await agent.get('/booking')).headers.location).toBe('/login');
  });
});

describe('apply: a city that asks for a phone number', () => {
  it('When the city chose the phone, then the identity page asks for it, refuses a wrong one, and finds the person by it', async () => {
    const phoneCity = await createTestApp({ APPLICANT_IDENTITY: 'phone' });
    await phoneCity.db.prisma.procedure.create({ data: { code: 'application', name: 'マイナンバーカードの申請', needsNoticeId: false } });
    await phoneCity.db.prisma.counter.create({ data: { code: 'c', name: '申請センター', windows: 1, procedures: { create: [{ procedureCode: 'application' }] } } });
    const asPerson = async (email: string, fields: Record<string, string>) => {
      const agent = browserAgent(phoneCity.app);
      await submit(agent, '/apply/application', { email, emailAgain: email });
      await submit(agent, '/apply/application/code', { code: await mailedCode(email, phoneCity.db) });
      const identityPage = await agent.get('/apply/application/identity');
      expect(identityPage.text).toContain('name="phone"');
      expect(identityPage.text).not.toContain('name="birthDate"');
      return submit(agent, '/apply/application/identity', fields);
    };
    const wrong = await asPerson('p1@example.jp', { nameKana: 'ヤマダ', phone: '1234' });
    expect(wrong.status).toBe(400);
    expect(fieldErrorOf(wrong.text, 'phone')).toBe('電話番号は、0から始まる10桁または11桁の数字で入力してください(例: 090-1234-5678)。');
    expect((await asPerson('p2@example.jp', { nameKana: 'ヤマダ', phone: '090-1234-5678' })).headers.location).toBe('/booking');
    expect((await asPerson('p3@example.jp', { nameKana: 'やまだ', phone: '09012345678' })).headers.location).toBe('/booking');
    expect(await phoneCity.db.prisma.applicant.findMany({ select: { nameKana: true, phone: true, birthKey: true } })).toEqual([
      { nameKana: 'ヤマダ', phone: '09012345678', birthKey: null },
    ]);
  });
});
