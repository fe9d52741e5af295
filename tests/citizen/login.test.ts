import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder } from '../helpers/factories.js';
import pg from 'pg';
import request from 'supertest';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { ADDRESS_MAX_FAILURES, CITIZEN_LOCK_AFTER, CITIZEN_MAX_FAILURES, normaliseMonthDay, unlockCitizenLogin } from '../../src/features/citizen/login-service.js';
import { citizenLogin, post } from './citizen-agent.js';
import { inTx } from '../helpers/tx.js';
import { CITIZEN_COOKIE, citizenCookieOf, resealed } from './citizen-cookie.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
// Each test starts with a clean slate for the address throttle (all requests come from 127.0.0.1).
beforeEach(async () => {
  await t.db.prisma.citizenLoginThrottle.deleteMany();
});

const cookie = citizenCookieOf;
const messageOf = (html: string) => html.match(/role="alert"[^>]*>([^<]*)</)?.[1];

/** The statements (first 40 characters) that one log-in attempt sends to PostgreSQL. */
async function statementsOf(noticeId: string, birth: string): Promise<string[]> {
  const statements: string[] = [];
  const original = pg.Client.prototype.query;
  const counting = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
    statements.push(text.replace(/\s+/g, ' ').trim().slice(0, 40));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  const agent = browserAgent(t.app);
  const token = csrfTokenFrom((await agent.get('/login')).text);
  pg.Client.prototype.query = counting as typeof original;
  try {
    await agent.post('/login').type('form').send({ _csrf: token, noticeId, birth });
  } finally {
    pg.Client.prototype.query = original;
  }
  return statements;
}

function allMonthDays(): string[] {
  const days: string[] = [];
  const lengths = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  lengths.forEach((length, m) => {
    for (let d = 1; d <= length; d += 1) days.push(`${String(m + 1).padStart(2, '0')}${String(d).padStart(2, '0')}`);
  });
  return days;
}

describe('citizen log-in', () => {
  it('When a citizen logs in with full-width digits and a separator, then they get in and the session id is renewed', async () => {
    const { noticeId } = await createCardHolder(t.db, { mmdd: '0401' });
    const agent = browserAgent(t.app);
    const page = await agent.get('/login');
    const wide = noticeId.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const { response } = await citizenLogin(t.app, wide, '０４/０１');
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/booking');
    expect(cookie(response)).toBeDefined();
    expect(cookie(response)).not.toBe(cookie(page));
    expect(normaliseMonthDay('4月1日')).toBe('0401');
  });

  it('When the ID is unknown or the birth date wrong, then the answer is the same', async () => {
    const { noticeId } = await createCardHolder(t.db, { mmdd: '0401' });
    const wrong = await citizenLogin(t.app, noticeId, '0402');
    const unknown = await citizenLogin(t.app, '9999888877776666', '0402');
    expect(wrong.response.status).toBe(401);
    expect(unknown.response.status).toBe(401);
    expect(messageOf(wrong.response.text)).toBe(messageOf(unknown.response.text));
    expect(messageOf(wrong.response.text)).toContain('予約用IDまたは生年月日が正しくありません');
    // The lock also comes for unknown IDs, at the same count, so locks do not reveal IDs either.
    for (let i = 1; i < CITIZEN_LOCK_AFTER; i += 1) {
      await citizenLogin(t.app, noticeId, '0402');
      await citizenLogin(t.app, '9999888877776666', '0402');
    }
    const [lockedKnown, lockedUnknown] = [await citizenLogin(t.app, noticeId, '0402'), await citizenLogin(t.app, '9999888877776666', '0402')];
    expect(messageOf(lockedKnown.response.text)).toBe(messageOf(lockedUnknown.response.text));
    expect(messageOf(lockedKnown.response.text)).toContain('一時的に停止');
  });

  it('When a citizen logs in with the right birth date, then it is one transaction: every statement between one BEGIN and one COMMIT', async () => {
    const { noticeId, mmdd, holder } = await createCardHolder(t.db);
    const statements = await statementsOf(noticeId, mmdd);
    expect(statements[0]).toMatch(/^BEGIN/);
    expect(statements.at(-1)).toMatch(/^COMMIT/);
    expect(statements.filter((text) => /^(BEGIN|COMMIT)/.test(text))).toHaveLength(2);
    expect(statements.length).toBeGreaterThan(4); // the checks, the cleared counts and the audit row
    expect(await t.db.prisma.auditLog.count({ where: { action: 'citizen.login', actorId: String(holder.id) } })).toBe(1);
  });

  it('When the ID is unknown or the birth date wrong, then the server does the same database work for both', async () => {
    const { noticeId } = await createCardHolder(t.db, { mmdd: '0401' });
    const wrongDate = (await statementsOf(noticeId, '0402')).filter((text) => !/^(BEGIN|COMMIT)/.test(text)).length;
    const unknownId = (await statementsOf('5555444433332222', '0402')).filter((text) => !/^(BEGIN|COMMIT)/.test(text)).length;
    expect(wrongDate).toBeGreaterThan(3);
    expect(unknownId).toBe(wrongDate);
  });

  it('When all 366 birth dates are tried against one ID, then it stops within the total cap and stays locked until staff unlock it (audited)', async () => {
    const { noticeId, holder } = await createCardHolder(t.db, { mmdd: '1225' });
    let successes = 0;
    let checked = 0;
    for (const mmdd of allMonthDays()) {
      // Simulate the short lock running out each time, so only the total cap can stop the attack.
      await t.db.prisma.cardHolder.update({ where: { id: holder.id }, data: { lockedUntil: null } });
      await t.db.prisma.citizenLoginThrottle.deleteMany();
      const { response } = await citizenLogin(t.app, noticeId, mmdd);
      if (response.status === 303) successes += 1;
      const state = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } });
      checked = state.failedLogins;
    }
    expect(successes).toBe(0); // 1225 is beyond the cap, so even the right date is refused
    expect(checked).toBe(CITIZEN_MAX_FAILURES);
    const refused = await citizenLogin(t.app, noticeId, '1225');
    expect(messageOf(refused.response.text)).toContain('コールセンターへお電話ください');
    await inTx(t.db, (tx) => unlockCitizenLogin(tx, holder.id), { type: 'staff', id: '7' });
    expect((await citizenLogin(t.app, noticeId, '1225')).response.status).toBe(303);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'citizen.login.unlock', targetId: String(holder.id), actorId: '7' } })).toBe(1);
  }, 120_000);

  it('When one address spreads guesses over many IDs, then it is throttled, even for a right answer', async () => {
    const people = await Promise.all(Array.from({ length: ADDRESS_MAX_FAILURES + 1 }, () => createCardHolder(t.db, { mmdd: '0505' })));
    for (const person of people.slice(0, ADDRESS_MAX_FAILURES)) expect((await citizenLogin(t.app, person.noticeId, '0101')).response.status).toBe(401);
    const last = people[ADDRESS_MAX_FAILURES];
    const throttled = await citizenLogin(t.app, last.noticeId, '0505');
    expect(throttled.response.status).toBe(429);
    expect(throttled.response.text).toContain('しばらく時間をおいて');
    // No ID was charged by the throttled attempt.
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: last.holder.id } })).failedLogins).toBe(0);
  });

  it('When failures happen in one app process, then another process sharing the database sees the lock', async () => {
    const { noticeId, mmdd } = await createCardHolder(t.db, { mmdd: '0707' });
    const otherProcess = createApp(t.context);
    for (let i = 0; i < CITIZEN_LOCK_AFTER; i += 1) await citizenLogin(t.app, noticeId, '0101');
    const elsewhere = await citizenLogin(otherProcess, noticeId, mmdd);
    expect(elsewhere.response.status).toBe(401);
    expect(messageOf(elsewhere.response.text)).toContain('一時的に停止');
  });

  it('When a citizen logs out, then the session is gone on the server and booking pages ask for log-in', async () => {
    const { noticeId, mmdd } = await createCardHolder(t.db);
    const { agent } = await citizenLogin(t.app, noticeId, mmdd);
    expect((await agent.get('/booking/counters')).status).toBe(200);
    const out = await post(agent, '/booking/counters', '/logout', {});
    expect(out.headers.location).toBe('/login?loggedOut=1');
    const again = await agent.get('/booking/counters');
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/login');
  });

  it('When the citizen is idle longer than the timeout, then the next request asks for log-in again', async () => {
    const { noticeId, mmdd } = await createCardHolder(t.db);
    const { response: loggedIn } = await citizenLogin(t.app, noticeId, mmdd);
    const idle = resealed(citizenCookieOf(loggedIn)!, (payload) => (payload.data.citizen!.lastSeenAt -= 16 * 60_000));
    const response = await request(t.app).get('/booking/counters').set('Cookie', `${CITIZEN_COOKIE}=${idle}`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/login?expired=1');
  });

  it('When a logged-in page is shown, then it has a log-out button and the extend control, and extending works', async () => {
    const { noticeId, mmdd } = await createCardHolder(t.db);
    const { agent } = await citizenLogin(t.app, noticeId, mmdd);
    const page = await agent.get('/booking/counters');
    expect(page.text).toContain('action="/logout"');
    expect(page.text).toContain('id="session-extend"');
    const token = page.text.match(/data-csrf="([^"]+)"/)![1];
    const extended = await agent.post('/session/extend').set('X-CSRF-Token', token).set('Accept', 'application/json');
    expect(extended.status).toBe(200);
    expect(extended.body).toEqual({ ok: true, idleSeconds: 15 * 60 });
    expect((await agent.post('/session/extend').set('Accept', 'application/json')).status).toBe(403);
  });
});
