// Staff identity checks made for a citizen are no birth-date oracle (issue 11, point 3): a wrong
// date and a booking that does not match get the same answer, each check is counted per staff
// user in PostgreSQL before the date is compared (so a burst cannot exceed the budget), and a
// spent budget is refused, audited and raised as an alert.
import http from 'node:http';
import { transaction } from '../../src/db/transaction.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_CHECK_MAX_FAILURES } from '../../src/features/citizen/identity-checks.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { counterWithSlots, holderAt } from '../console/helpers.js';
import { bookSlot } from '../../src/features/booking/index.js';
import type { StaffRole } from '../../src/generated/prisma/client.js';

let t: TestApp;
let server: http.Server;
const day = addDays(todayInJapan(), 5);
beforeAll(async () => {
  t = await createTestApp();
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A signed-in staff user on the listening server, with the CSRF token of the session. */
async function signedIn(role: StaffRole) {
  const { user, password } = await createStaff(t.db, { role });
  const agent = request.agent(server);
  const loginToken = csrfTokenFrom((await agent.get('/staff/login')).text);
  expect((await agent.post('/staff/login').type('form').send({ _csrf: loginToken, loginId: user.loginId, password })).status).toBe(303);
  return { user, agent, token: csrfTokenFrom((await agent.get('/staff')).text) };
}

/** A caller with an active booking, and another person's booking at the same counter. */
async function callerWithBooking(mmdd = '0715') {
  const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 5 }]);
  const caller = await holderAt(t, counter.id, mmdd);
  const other = await holderAt(t, counter.id, '0101');
  const book = (cardHolderId: number) =>
    transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
      bookSlot(tx, { slotId: slots[0].id, cardHolderIds: [cardHolderId], channel: 'web', baseUrl: 'http://127.0.0.1', by: null }),
    );
  const own = (await book(caller.holder.id)).bookings[0];
  const othersBooking = (await book(other.holder.id)).bookings[0];
  return { caller, own, othersBooking, slot: slots[0] };
}

type Session = Awaited<ReturnType<typeof signedIn>>;
const cancel = (session: Session, holderId: number, bookingId: number, birth: string) =>
  session.agent.post(`/staff/console/holders/${holderId}/cancel`).type('form').send({ _csrf: session.token, bookingId, birth });
const activeCount = (cardHolderId: number) => t.db.prisma.booking.count({ where: { cardHolderId, status: 'active' } });
const audits = (actorId: number, action: string) => t.db.prisma.auditLog.count({ where: { actorType: 'staff', actorId: String(actorId), action } });
const identityAlerts = (staffId: number) => t.db.prisma.alert.findMany({ where: { kind: 'identity_checks', subjectKey: `staff:${staffId}`, acknowledgedAt: null } });

describe('on-behalf identity checks give nothing away', () => {
  it("When an operator cancels with a wrong birth date, or with the right one and a booking that is absent or someone else's, then all answers are the same page with the same status", async () => {
    const { caller, own, othersBooking } = await callerWithBooking('0715');
    const operator = await signedIn('operator');
    const wrongDate = await cancel(operator, caller.holder.id, own.id, '0716');
    const absentBooking = await cancel(operator, caller.holder.id, 99_999_999, '0715');
    const othersOne = await cancel(operator, caller.holder.id, othersBooking.id, '0715');
    expect([wrongDate.status, absentBooking.status, othersOne.status]).toEqual([403, 403, 403]);
    expect(wrongDate.text).toContain('生年月日(月日)が一致しないか、操作する予約が見つかりません');
    expect(absentBooking.text).toBe(wrongDate.text);
    expect(othersOne.text).toBe(wrongDate.text);
    expect(await activeCount(caller.holder.id)).toBe(1);
    expect(await t.db.prisma.booking.count({ where: { id: othersBooking.id, status: 'active' } })).toBe(1);
    expect(await audits(operator.user.id, 'console.identity.failed')).toBe(3);
  });

  it('When a staff user gets the birth date wrong as often as the limit allows, then the next check is refused even with the right date, the refusal is audited and an alert is opened', async () => {
    const { caller, own, slot } = await callerWithBooking('0320');
    const operator = await signedIn('operator');
    for (let i = 0; i < IDENTITY_CHECK_MAX_FAILURES; i += 1) expect((await cancel(operator, caller.holder.id, own.id, '0101')).status).toBe(403);
    expect(await identityAlerts(operator.user.id)).toHaveLength(1);
    const refused = await cancel(operator, caller.holder.id, own.id, '0320');
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('本人確認の失敗が続いたため');
    expect(await activeCount(caller.holder.id)).toBe(1);
    expect(await audits(operator.user.id, 'console.identity.refused')).toBe(1);
    const [alert] = await identityAlerts(operator.user.id);
    expect(alert.summary).toContain(operator.user.loginId);
    expect(alert.occurrences).toBe(2);
    // Moving (and booking) on behalf draw on the same budget.
    const moveRefused = await operator.agent
      .post(`/staff/console/holders/${caller.holder.id}/move`)
      .type('form')
      .send({ _csrf: operator.token, bookingId: own.id, slotId: slot.id, birth: '0320' });
    expect(moveRefused.status).toBe(429);
  });

  it('When the right birth date follows a few wrong ones, then the change is made and the right check does not use up the budget', async () => {
    const { caller, own } = await callerWithBooking('1111');
    const clerk = await signedIn('staff');
    for (let i = 0; i < IDENTITY_CHECK_MAX_FAILURES - 1; i += 1) await cancel(clerk, caller.holder.id, own.id, '0101');
    const done = await cancel(clerk, caller.holder.id, own.id, '1111');
    expect(done.status).toBe(303);
    expect(await activeCount(caller.holder.id)).toBe(0);
    expect(await identityAlerts(clerk.user.id)).toHaveLength(0);
  });

  it('When many wrong checks are fired at the same moment, then at most the limit is compared and the rest are refused', async () => {
    const { caller, own } = await callerWithBooking('0909');
    const operator = await signedIn('operator');
    const guesses = [...Array.from({ length: 40 }, (_, i) => String(101 + i).padStart(4, '0')), '0909'];
    const responses = await Promise.all(guesses.map((birth) => cancel(operator, caller.holder.id, own.id, birth)));
    expect(await audits(operator.user.id, 'console.identity.failed')).toBe(IDENTITY_CHECK_MAX_FAILURES);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(guesses.length - IDENTITY_CHECK_MAX_FAILURES);
    expect(responses.filter((response) => response.status === 303)).toHaveLength(0);
    expect(await activeCount(caller.holder.id)).toBe(1);
    expect(await identityAlerts(operator.user.id)).toHaveLength(1);
  });

  it("When a staff user lifts citizens' log-in locks, then each lift spends a check, and once the budget is spent the lift is refused and alerted", async () => {
    const { counter } = await counterWithSlots(t, day, []);
    const locked = await holderAt(t, counter.id, '0202');
    await t.db.prisma.cardHolder.update({ where: { id: locked.holder.id }, data: { failedLogins: 10 } });
    const clerk = await signedIn('staff');
    const unlock = () => clerk.agent.post(`/staff/cards/${locked.holder.id}/unlock-login`).type('form').send({ _csrf: clerk.token, identityChecked: 'yes' });
    for (let i = 0; i < IDENTITY_CHECK_MAX_FAILURES; i += 1) expect((await unlock()).status).toBe(303);
    await t.db.prisma.cardHolder.update({ where: { id: locked.holder.id }, data: { failedLogins: 10 } });
    const refused = await unlock();
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('本人確認の失敗が続いたため');
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: locked.holder.id } })).failedLogins).toBe(10);
    expect(await identityAlerts(clerk.user.id)).toHaveLength(1);
  });
});
