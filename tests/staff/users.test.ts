import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { signedInStaff, staffAgent, submitForm } from '../helpers/staff.js';

let t: TestApp;
let admin: Awaited<ReturnType<typeof staffAgent>>;
let adminId: number;
beforeAll(async () => {
  t = await createTestApp();
  ({
    agent: admin,
    user: { id: adminId },
  } = await signedInStaff(t, 'admin'));
});

const auditActions = async (targetId: number) =>
  (await t.db.prisma.auditLog.findMany({ where: { targetType: 'staff_user', targetId: String(targetId) }, orderBy: { id: 'asc' } })).map((entry) => entry.action);

describe('staff accounts (admin)', () => {
  it('When an admin creates an operator limited to one counter, then a one-time password is shown and the first log-in must change it', async () => {
    const counter = await createCounter(t.db, { name: '北区役所' });
    const response = await submitForm(admin, '/staff/users/new', '/staff/users', { loginId: 'op.suzuki', displayName: '鈴木', role: 'operator', counterIds: [String(counter.id)] });
    expect(response.status).toBe(200);
    const password = response.text.match(/<code>([A-Z0-9-]{19})<\/code>/)![1];
    const created = await t.db.prisma.staffUser.findUniqueOrThrow({ where: { loginId: 'op.suzuki' }, include: { counters: true } });
    expect(created.role).toBe('operator');
    expect(created.counters.map((c) => c.counterId)).toEqual([counter.id]);
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login')).text);
    const login = await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: 'op.suzuki', password });
    expect(login.headers.location).toBe('/staff/password');
    expect(await auditActions(created.id)).toEqual(['staff.user.created']);
  });

  it('When the form is incomplete, then each problem is shown in Japanese and nothing is created', async () => {
    const before = await t.db.prisma.staffUser.count();
    const response = await submitForm(admin, '/staff/users/new', '/staff/users', { loginId: 'x', displayName: '', role: 'root' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('半角英数字と . _ - で3〜32文字');
    expect(response.text).toContain('権限を選んでください。');
    expect(await t.db.prisma.staffUser.count()).toBe(before);
  });

  it('When a login ID is taken, then the admin is told so', async () => {
    const { user } = await createStaff(t.db);
    const response = await submitForm(admin, '/staff/users/new', '/staff/users', { loginId: user.loginId, displayName: '重複', role: 'staff' });
    expect(response.status).toBe(409);
    expect(response.text).toContain('このログインIDはすでに使われています。');
  });

  it('When an admin disables a signed-in user, then that user is logged out at once and cannot log in', async () => {
    const { user, password } = await createStaff(t.db);
    const victim = await staffAgent(t.app, user.loginId, password);
    expect((await victim.get('/staff')).status).toBe(200);
    await submitForm(admin, '/staff/users', `/staff/users/${user.id}/disable`, {});
    expect((await victim.get('/staff')).status).toBe(303);
    expect(await auditActions(user.id)).toContain('staff.user.disabled');
  });

  it('When an admin resets a password, then the old one stops working and the user must choose a new one', async () => {
    const { user, password } = await createStaff(t.db);
    const response = await submitForm(admin, '/staff/users', `/staff/users/${user.id}/reset-password`, {});
    const temporary = response.text.match(/<code>([A-Z0-9-]{19})<\/code>/)![1];
    const agent = browserAgent(t.app);
    const token = csrfTokenFrom((await agent.get('/staff/login')).text);
    expect((await agent.post('/staff/login').type('form').send({ _csrf: token, loginId: user.loginId, password })).status).toBe(401);
    const token2 = csrfTokenFrom((await agent.get('/staff/login')).text);
    const login = await agent.post('/staff/login').type('form').send({ _csrf: token2, loginId: user.loginId, password: temporary });
    expect(login.headers.location).toBe('/staff/password');
  });

  it('When an admin changes a role, then it takes effect on the next request and is audited with before and after', async () => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const other = await staffAgent(t.app, user.loginId, password);
    expect((await other.get('/staff/users')).status).toBe(200);
    await submitForm(admin, `/staff/users/${user.id}/edit`, `/staff/users/${user.id}`, { displayName: '降格', role: 'operator' });
    expect((await other.get('/staff/users')).status).toBe(403);
    const entry = await t.db.prisma.auditLog.findFirstOrThrow({ where: { action: 'staff.user.updated', targetId: String(user.id) } });
    expect(entry.detail).toMatchObject({ role: ['admin', 'operator'] });
  });

  it('When an admin tries to disable themselves, then it is refused', async () => {
    const response = await submitForm(admin, '/staff/users', `/staff/users/${adminId}/disable`, {});
    expect(response.status).toBe(400);
    expect(response.text).toContain('自分自身のアカウントは無効にできません。');
  });

  it('When the audit log is searched by action, then matching entries are listed newest first', async () => {
    const response = await admin.get('/staff/audit?action=staff.user.created');
    expect(response.status).toBe(200);
    expect(response.text).toContain('staff.user.created');
    expect(response.text).not.toContain('staff.user.disabled');
  });
});
