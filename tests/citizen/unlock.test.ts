import { beforeAll, describe, expect, it } from 'vitest';
import { CITIZEN_MAX_FAILURES } from '../../src/features/citizen/login-service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createStaff } from '../helpers/factories.js';
import { browserAgent, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent, submitForm } from '../helpers/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

async function citizenLogin(noticeId: string, birth: string, ip: string) {
  const agent = browserAgent(t.app);
  const token = csrfTokenFrom((await agent.get('/login')).text);
  return agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ _csrf: token, noticeId, birth });
}

describe('staff unlock a citizen locked out for good', () => {
  it('When an ID reached the failure cap, then only staff who checked the caller can unlock it, and that is audited', async () => {
    const person = await createCardHolder(t.db, { mmdd: '0520' });
    await t.db.prisma.cardHolder.update({ where: { id: person.holder.id }, data: { failedLogins: CITIZEN_MAX_FAILURES } });
    expect((await citizenLogin(person.noticeId, '0520', '10.0.0.1')).status).not.toBe(303);

    const { user, password } = await createStaff(t.db, { role: 'operator' });
    const operator = await staffAgent(t.app, user.loginId, password);
    const page = await operator.get(`/staff/cards/${person.holder.id}`);
    expect(page.text).toContain('ご本人からの連絡があるまでログインできません');

    const unchecked = await submitForm(operator, `/staff/cards/${person.holder.id}`, `/staff/cards/${person.holder.id}/unlock-login`, {});
    expect(unchecked.status).toBe(400);
    expect(unchecked.text).toContain('ご本人確認が済んだことを確認欄にチェックしてから解除してください。');
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: person.holder.id } })).failedLogins).toBe(CITIZEN_MAX_FAILURES);

    const done = await submitForm(operator, `/staff/cards/${person.holder.id}`, `/staff/cards/${person.holder.id}/unlock-login`, { identityChecked: 'yes' });
    expect(done.status).toBe(303);
    expect((await citizenLogin(person.noticeId, '0520', '10.0.0.2')).status).toBe(303);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'citizen.login.unlock', actorId: String(user.id), targetId: String(person.holder.id) } })).toBe(1);
  });
});
