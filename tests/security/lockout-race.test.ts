// Lockouts and throttles hold when every guess is fired at the same moment (issue 11, point 2):
// each attempt is counted in PostgreSQL (one atomic statement) before its answer can be learnt,
// so a burst is checked at most as often as the counts allow. "Checked" is what the audit log
// records as a told failure or a log-in. Requests go over real HTTP to one listening server; the
// right secret is sent last, so it arrives after the budget is spent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADDRESS_MAX_FAILURES, CITIZEN_LOCK_AFTER } from '../../src/features/citizen/login-service.js';
import { STAFF_ADDRESS_MAX_FAILURES, STAFF_MAX_FAILURES } from '../../src/features/staff/auth-service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createStaff, randomNoticeId } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';

let t: TestApp;
let server: http.Server;
beforeAll(async () => {
  t = await createTestApp({ TRUST_PROXY: '1' }); // X-Forwarded-For sets the client address
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  expect((server.address() as AddressInfo).port).toBeGreaterThan(0);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(async () => {
  await t.db.prisma.citizenLoginThrottle.deleteMany();
});

function allMonthDays(): string[] {
  const lengths = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return lengths.flatMap((length, m) => Array.from({ length }, (_, d) => `${String(m + 1).padStart(2, '0')}${String(d + 1).padStart(2, '0')}`));
}

/** One browser session with its CSRF token, from which every request of the burst is sent. */
async function session(pagePath: string) {
  const agent = request.agent(server);
  const token = csrfTokenFrom((await agent.get(pagePath)).text);
  return { agent, token };
}

const audits = (actions: string[], where: object) => t.db.prisma.auditLog.count({ where: { action: { in: actions }, ...where } });
const statuses = (responses: { status: number }[]) => new Set(responses.map((response) => response.status));

describe('citizen lockout under a burst', () => {
  it('When all 366 birth dates for one notice ID are sent at once (from different addresses), then at most one lock period of them is checked and none logs in', async () => {
    const { noticeId, holder } = await createCardHolder(t.db, { mmdd: '1225' });
    const dates = [...allMonthDays().filter((mmdd) => mmdd !== '1225'), '1225'];
    const { agent, token } = await session('/login');
    const responses = await Promise.all(
      dates.map((birth, i) =>
        agent
          .post('/login')
          .set('X-Forwarded-For', `10.9.${i >> 8}.${i & 255}`)
          .type('form')
          .send({ _csrf: token, noticeId, birth }),
      ),
    );
    expect(responses.filter((response) => response.status === 303)).toHaveLength(0);
    expect([...statuses(responses)]).toEqual([401]);
    const checked = await audits(['citizen.login.failed', 'citizen.login'], { actorId: String(holder.id) });
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(CITIZEN_LOCK_AFTER);
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } })).failedLogins).toBe(checked);
  }, 120_000);

  it('When many wrong guesses for one unknown notice ID are sent at once, then it is locked after the same count as a real one', async () => {
    const noticeId = randomNoticeId();
    const { agent, token } = await session('/login');
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => agent.post('/login').set('X-Forwarded-For', `10.8.0.${i}`).type('form').send({ _csrf: token, noticeId, birth: '0101' })),
    );
    expect([...statuses(responses)]).toEqual([401]);
    expect(await audits(['citizen.login.failed'], { actorId: 'unknown', ip: { startsWith: '10.8.0.' } })).toBe(CITIZEN_LOCK_AFTER);
  });

  it('When one address sends guesses for many different IDs at once, then at most the address limit of wrong answers is told and the rest are throttled', async () => {
    const people = await Promise.all(Array.from({ length: 40 }, () => createCardHolder(t.db, { mmdd: '0505' })));
    const unknownIds = Array.from({ length: 40 }, () => randomNoticeId());
    const ids = [...people.map((person) => person.noticeId), ...unknownIds];
    const { agent, token } = await session('/login');
    const responses = await Promise.all(
      ids.map((noticeId) => agent.post('/login').set('X-Forwarded-For', '203.0.113.7').type('form').send({ _csrf: token, noticeId, birth: '0101' })),
    );
    const checked = await audits(['citizen.login.failed', 'citizen.login'], { ip: '203.0.113.7' });
    expect(checked).toBe(ADDRESS_MAX_FAILURES);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(ids.length - ADDRESS_MAX_FAILURES);
    expect(responses.filter((response) => response.status === 303)).toHaveLength(0);
  });

  it('When many people behind one address (a carrier NAT) log in with their right dates at the same moment, then none of them is throttled', async () => {
    const people = await Promise.all(Array.from({ length: ADDRESS_MAX_FAILURES * 2 }, () => createCardHolder(t.db, { mmdd: '0707' })));
    const sessions = await Promise.all(people.map(() => session('/login'))); // one browser each
    const responses = await Promise.all(
      people.map((person, i) =>
        sessions[i].agent.post('/login').set('X-Forwarded-For', '203.0.113.9').type('form').send({ _csrf: sessions[i].token, noticeId: person.noticeId, birth: '0707' }),
      ),
    );
    expect(responses.filter((response) => response.status === 303)).toHaveLength(people.length);
  });

  it('When the address budget is spent by a burst, then a right answer from that address is refused too', async () => {
    const people = await Promise.all(Array.from({ length: ADDRESS_MAX_FAILURES + 10 }, () => createCardHolder(t.db, { mmdd: '0606' })));
    const { agent, token } = await session('/login');
    const send = (noticeId: string, birth: string) => agent.post('/login').set('X-Forwarded-For', '203.0.113.8').type('form').send({ _csrf: token, noticeId, birth });
    const responses = await Promise.all([...people.slice(1).map((person) => send(person.noticeId, '0101')), send(people[0].noticeId, '0606')]);
    expect(responses.filter((response) => response.status === 303)).toHaveLength(0);
    expect(await audits(['citizen.login.failed', 'citizen.login'], { ip: '203.0.113.8' })).toBe(ADDRESS_MAX_FAILURES);
  });
});

describe('staff lockout under a burst', () => {
  it('When many wrong passwords and then the right one are sent at once, then at most the lock count is checked and none logs in', async () => {
    const { user, password } = await createStaff(t.db);
    const { agent, token } = await session('/staff/login');
    const guesses = [...Array.from({ length: 40 }, (_, i) => `Wrong-password-${i}`), password];
    const responses = await Promise.all(guesses.map((guess) => agent.post('/staff/login').type('form').send({ _csrf: token, loginId: user.loginId, password: guess })));
    expect(responses.filter((response) => response.status === 303)).toHaveLength(0);
    const checked = await audits(['staff.login.failed', 'staff.login'], { actorId: String(user.id) });
    expect(checked).toBe(STAFF_MAX_FAILURES);
    expect(await audits(['staff.login.locked'], { actorId: String(user.id) })).toBe(guesses.length - STAFF_MAX_FAILURES);
  });

  it('When a signed-in user sends many wrong current passwords and then the right one at once, then at most the lock count is checked and the password is not changed', async () => {
    const { user, password } = await createStaff(t.db);
    const { agent, token: loginToken } = await session('/staff/login');
    expect((await agent.post('/staff/login').type('form').send({ _csrf: loginToken, loginId: user.loginId, password })).status).toBe(303);
    const token = csrfTokenFrom((await agent.get('/staff/password')).text);
    const next = 'Brand-new-passphrase-2026';
    const guesses = [...Array.from({ length: 30 }, (_, i) => `Wrong-current-${i}`), password];
    const responses = await Promise.all(guesses.map((current) => agent.post('/staff/password').type('form').send({ _csrf: token, current, next, confirm: next })));
    expect(responses.filter((response) => response.status === 303)).toHaveLength(0);
    const wrong = responses.filter((response) => response.text.includes('現在のパスワードが正しくありません'));
    const refused = responses.filter((response) => response.text.includes('現在のパスワードの確認に続けて失敗したため'));
    expect(wrong.length).toBeLessThanOrEqual(STAFF_MAX_FAILURES);
    expect(wrong.length + refused.length).toBe(guesses.length);
    const stored = await t.db.prisma.staffUser.findUniqueOrThrow({ where: { id: user.id } });
    expect(stored.passwordHash).toBe(user.passwordHash);
  });

  it('When one address sprays wrong passwords over many log-in IDs at once, then at most the address budget is checked, the rest get 429, and a right password from that address is refused while one from elsewhere gets in', async () => {
    const { user, password } = await createStaff(t.db);
    const { agent, token } = await session('/staff/login');
    const spray = Array.from({ length: STAFF_ADDRESS_MAX_FAILURES + 20 }, (_, i) => `sprayed-${i}`);
    const send = (loginId: string, guess: string, from: string) =>
      agent.post('/staff/login').set('X-Forwarded-For', from).type('form').send({ _csrf: token, loginId, password: guess });
    const responses = await Promise.all(spray.map((loginId) => send(loginId, 'Spring2026!', '198.51.100.9')));
    expect(await audits(['staff.login.failed'], { ip: '198.51.100.9' })).toBe(STAFF_ADDRESS_MAX_FAILURES);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(20);
    expect(responses.find((response) => response.status === 429)?.text).toContain('しばらく受け付けを止めています');
    expect((await send(user.loginId, password, '198.51.100.9')).status).toBe(429);
    expect((await send(user.loginId, password, '198.51.100.10')).status).toBe(303);
  });
});
