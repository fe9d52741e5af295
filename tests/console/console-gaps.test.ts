// Console gaps of issue 12.7: the password link in the menu, the citizen's log-in lock as they
// meet it, counter work on a day other than the booking's.
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSlot } from '../../src/features/booking/index.js';
import { authenticateCitizen } from '../../src/features/citizen/login-service.js';
import { addDays, formatMinutes, jstMinutesOf, todayInJapan } from '../../src/lib/jst.js';
import { TEST_SECRETS, createTestApp, type TestApp } from '../helpers/app.js';
import { counterWithSlots, holderAt, postForm, staffOf } from './helpers.js';

let t: TestApp;
const baseUrl = 'http://127.0.0.1';

beforeAll(async () => {
  t = await createTestApp();
});

async function bookedOn(date: string) {
  const { counter, slots } = await counterWithSlots(t, date, [{ startMinute: 600, capacity: 2 }]);
  const person = await holderAt(t, counter.id);
  const group = await bookSlot(t.db.prisma, { slotId: slots[0].id, cardHolderIds: [person.holder.id], channel: 'web', email: null, actor: { type: 'system', id: 'test' }, baseUrl, ignorePolicy: true });
  return { ...person, bookingId: group.bookings[0].id };
}

describe('the staff menu', () => {
  it('When a clerk or an operator opens any console page, then the menu links to the password change', async () => {
    for (const role of ['staff', 'operator'] as const) {
      const { agent } = await staffOf(t, role);
      const page = await agent.get('/staff/console');
      expect(page.text).toMatch(/<a href="\/staff\/password">パスワード変更<\/a>/);
    }
  });
});

describe('the citizen log-in lock on the card page', () => {
  const wrongLogins = async (noticeId: string, times: number) => {
    for (let i = 0; i < times; i += 1) await authenticateCitizen(t.db.prisma, TEST_SECRETS.birthDatePepper, noticeId, '1231', `192.0.2.${i + 1}`);
  };

  it('When a citizen got the birth date wrong 5 times and is locked for a while, then the card page says until when, not only the count', async () => {
    const { holder, noticeId } = await holderAt(t, (await counterWithSlots(t, todayInJapan(), [])).counter.id);
    await wrongLogins(noticeId, 5);
    const { lockedUntil } = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } });
    const { agent } = await staffOf(t, 'staff');
    const page = (await agent.get(`/staff/cards/${holder.id}`)).text;
    expect(page).toContain(`ご本人は ${formatMinutes(jstMinutesOf(lockedUntil!))} までログインできません`);
    expect(page).not.toContain('今ログインできます');
  });

  it('When a citizen reached the limit of 10 failures, then the card page says they cannot log in until staff unlock it; with 2 failures it says they still can', async () => {
    const counterId = (await counterWithSlots(t, todayInJapan(), [])).counter.id;
    const locked = await holderAt(t, counterId);
    await t.db.prisma.cardHolder.update({ where: { id: locked.holder.id }, data: { failedLogins: 10, lockedUntil: null } });
    const few = await holderAt(t, counterId);
    await wrongLogins(few.noticeId, 2);
    const { agent } = await staffOf(t, 'staff');
    expect((await agent.get(`/staff/cards/${locked.holder.id}`)).text).toContain('ご本人からの連絡があるまでログインできません');
    const open = (await agent.get(`/staff/cards/${few.holder.id}`)).text;
    expect(open).toContain('入力誤りが 2 回あります。ご本人は今ログインできます');
  });
});

describe('counter work on another day', () => {
  it('When staff check in or hand over a booking of another day without confirming, then it is refused with a message and nothing changes; with the confirmation it is done', async () => {
    const person = await bookedOn(addDays(todayInJapan(), 2));
    const { agent } = await staffOf(t, 'staff');
    const holderPage = `/staff/console/holders/${person.holder.id}`;
    expect((await agent.get(holderPage)).text).toContain('以外の来庁として処理する');
    for (const path of ['check-in', 'hand-over']) {
      const refused = await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/${path}`, {});
      expect(refused.status).toBe(409);
      expect(refused.text).toContain('この予約は今日の予約ではありません');
    }
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: person.bookingId } })).status).toBe('active');
    const confirmed = await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/hand-over`, { otherDay: 'yes' });
    expect(confirmed.status).toBe(303);
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: person.bookingId } })).status).toBe('handed_over');
  });

  it("When staff check in a booking of today, then no confirmation is asked", async () => {
    const person = await bookedOn(todayInJapan());
    const { agent } = await staffOf(t, 'staff');
    const holderPage = `/staff/console/holders/${person.holder.id}`;
    expect((await agent.get(holderPage)).text).not.toContain('以外の来庁として処理する');
    expect((await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/check-in`, {})).status).toBe(303);
  });
});
