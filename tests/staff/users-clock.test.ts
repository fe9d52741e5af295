// The staff list reads the app's clock: with the clock pinned years ahead, a staff lock that ended
// ten minutes before the pinned instant is not shown as a lock (by the machine's clock it would be),
// and one that ends ten minutes after it is, with its unlock button.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClock } from '../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { type Agent } from '../cards/helpers.js';

const { now } = pinClock('2031-03-04T02:00:00Z');
let t: TestApp;
let admin: Agent;

beforeAll(async () => {
  t = await createTestApp();
  const staff = await createStaff(t.db, { role: 'admin' });
  admin = await staffAgent(t.app, staff.user.loginId, staff.password);
});
afterAll(() => setClock(null));

describe('staff list on the pinned clock', () => {
  it('When one staff lock ended before the pinned instant and another ends after it, then only the second shows as locked, with an unlock button', async () => {
    const ended = await createStaff(t.db, { role: 'staff' });
    const running = await createStaff(t.db, { role: 'staff' });
    await t.db.prisma.staffUser.update({ where: { id: ended.user.id }, data: { failedLogins: 5, lockedUntil: new Date(now.getTime() - 10 * 60_000) } });
    await t.db.prisma.staffUser.update({ where: { id: running.user.id }, data: { failedLogins: 5, lockedUntil: new Date(now.getTime() + 10 * 60_000) } });
    const page = (await admin.get('/staff/users')).text;
    const rowOf = (loginId: string) => page.slice(page.indexOf(`<td>${loginId}</td>`), page.indexOf('</tr>', page.indexOf(`<td>${loginId}</td>`)));
    expect(rowOf(ended.user.loginId)).not.toContain('ロック中');
    expect(rowOf(ended.user.loginId)).not.toContain(`/staff/users/${ended.user.id}/unlock`);
    expect(rowOf(running.user.loginId)).toContain('ロック中');
    expect(rowOf(running.user.loginId)).toContain(`/staff/users/${running.user.id}/unlock`);
  });
});
