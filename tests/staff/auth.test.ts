import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent, submitForm } from '../helpers/staff.js';
import { STAFF_MAX_FAILURES } from '../../src/features/staff/auth-service.js';
import { passwordProblem } from '../../src/features/staff/passwords.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

function sessionCookie(response: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (response.headers['set-cookie'] as string[] | undefined) ?? [];
  return cookies.find((cookie) => cookie.startsWith('sid='))?.split(';')[0];
}

async function tryLogin(loginId: string, password: string) {
  const agent = browserAgent(t.app);
  const page = await agent.get('/staff/login');
  const response = await agent
    .post('/staff/login')
    .type('form')
    .send({ _csrf: csrfTokenFrom(page.text), loginId, password });
  return { page, response };
}

describe('staff log-in', () => {
  it('When staff log in, then the session id changes and the console opens; an audit entry is written', async () => {
    const { user, password } = await createStaff(t.db);
    const { page, response } = await tryLogin(user.loginId, password);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/staff');
    expect(sessionCookie(response)).toBeDefined();
    expect(sessionCookie(response)).not.toBe(sessionCookie(page));
    expect(await t.db.prisma.auditLog.count({ where: { actorId: String(user.id), action: 'staff.login' } })).toBe(1);
  });

  it('When the password is wrong or the ID unknown, then the same message is shown', async () => {
    const { user } = await createStaff(t.db);
    const wrong = await tryLogin(user.loginId, 'not-the-password');
    const unknown = await tryLogin('no-such-user', 'whatever-password');
    expect(wrong.response.status).toBe(401);
    expect(unknown.response.status).toBe(401);
    const message = 'ログインIDまたはパスワードが正しくありません。';
    expect(wrong.response.text).toContain(message);
    expect(unknown.response.text).toContain(message);
  });

  it(`When the password is wrong ${STAFF_MAX_FAILURES} times, then even the right password is refused until the lock ends`, async () => {
    const { user, password } = await createStaff(t.db);
    for (let i = 0; i < STAFF_MAX_FAILURES; i += 1) await tryLogin(user.loginId, `wrong-${i}`);
    const locked = await tryLogin(user.loginId, password);
    expect(locked.response.status).toBe(401);
    expect(locked.response.text).toContain('一時的にロックされています');
    await t.db.prisma.staffUser.update({ where: { id: user.id }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    expect((await tryLogin(user.loginId, password)).response.status).toBe(303);
  });

  it('When a disabled user logs in with the right password, then it is refused like a wrong one', async () => {
    const { user, password } = await createStaff(t.db);
    await t.db.prisma.staffUser.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    expect((await tryLogin(user.loginId, password)).response.status).toBe(401);
  });

  it('When staff log out, then the session is gone on the server and the console asks for log-in again', async () => {
    const { user, password } = await createStaff(t.db);
    const agent = await staffAgent(t.app, user.loginId, password);
    expect((await agent.get('/staff')).status).toBe(200);
    const before = (await t.db.pool.query('SELECT count(*)::int AS n FROM session')).rows[0].n;
    await submitForm(agent, '/staff', '/staff/logout', {});
    const after = (await t.db.pool.query('SELECT count(*)::int AS n FROM session')).rows[0].n;
    expect(after).toBe(before - 1);
    const again = await agent.get('/staff');
    expect(again.status).toBe(303);
    expect(again.headers.location).toMatch(/^\/staff\/login/);
  });

  it('When a log-in page carries a foreign next= address, then log-in still lands inside the console', async () => {
    const { user, password } = await createStaff(t.db);
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login?next=//evil.example/')).text);
    const response = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: user.loginId, password, next: 'https://evil.example/' });
    expect(response.headers.location).toBe('/staff');
  });
});

describe('own password', () => {
  it('When a new account logs in, then it must change its password before anything else', async () => {
    const { user, password } = await createStaff(t.db, { mustChangePassword: true });
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login')).text);
    const login = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: user.loginId, password });
    expect(login.headers.location).toBe('/staff/password');
    expect((await agent.get('/staff')).headers.location).toBe('/staff/password');
    const weak = await submitForm(agent, '/staff/password', '/staff/password', { current: password, next: 'password123', confirm: 'password123' });
    expect(weak.status).toBe(400);
    const changed = await submitForm(agent, '/staff/password', '/staff/password', { current: password, next: 'ひまわり-Kofu-Window-42', confirm: 'ひまわり-Kofu-Window-42' });
    expect(changed.status).toBe(303);
    expect((await agent.get('/staff')).status).toBe(200);
    const stored = await t.db.prisma.staffUser.findUniqueOrThrow({ where: { id: user.id } });
    expect(stored.mustChangePassword).toBe(false);
  });

  it.each([
    ['short1!', 'staff.password.tooShort'],
    ['password1234', 'staff.password.common'],
    ['Qwertyuiop!!', 'staff.password.common'],
    ['aaaaaaaaaaaaaa', 'staff.password.common'],
    ['xx-tanaka-2026-xx', 'staff.password.containsLoginId'],
  ])('When the new password is %s, then it is refused (%s)', (candidate, expected) => {
    expect(passwordProblem(candidate, 'tanaka')).toBe(expected);
  });
});
