// The last steps of a citizen's booking (confirm, review, complete) against what real people
// do: two tabs, a lost answer and a retry, Back and reload after booking, no email at all.
import { inTx } from '../helpers/tx.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { addDays } from '../../src/lib/jst.js';
import { queueTomorrowsReminders } from '../../src/features/booking/reminders.js';
import { book, hiddenFields, loggedInCitizen, post, tapTime, type Agent } from '../citizen/citizen-agent.js';

const { now, today } = pinClock('2027-01-15T10:00:00+09:00');
const day = addDays(today, 10);
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

async function citizenWithTwoTimes() {
  const counter = await createCounter(t.db);
  const noon = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 12 * 60, capacity: 3 });
  const one = await createSlot(t.db, { counterId: counter.id, date: day, startMinute: 13 * 60, capacity: 3 });
  const person = await createCardHolder(t.db);
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  return { noon, one, person, agent };
}

/** Holds a time and fills in the email: returns the review page as the tab shows it. */
async function reachReview(agent: Agent, slotId: number, email: string) {
  expect((await tapTime(agent, slotId)).headers.location).toBe('/booking/confirm');
  const sent = await post(agent, '/booking/confirm', '/booking/confirm', { email, emailAgain: email });
  expect(sent.headers.location).toBe('/booking/review');
  return (await agent.get('/booking/review')).text;
}

const complete = (agent: Agent, reviewPage: string) => agent.post('/booking/complete').type('form').send(hiddenFields(reviewPage, '/booking/complete'));
const bookingsOf = (cardHolderId: number) => t.db.prisma.booking.findMany({ where: { cardHolderId }, include: { slot: true } });

describe('two tabs of one citizen', () => {
  it("When tab 1 reaches the review of 12:00 and tab 2 then holds 13:00, then tab 1's 確定 books nothing and says why", async () => {
    const { noon, one, person, agent } = await citizenWithTwoTimes();
    const tab1 = await reachReview(agent, noon.id, 'tab1@example.jp');
    expect(tab1).toContain('12:00〜12:30');
    expect((await tapTime(agent, one.id)).headers.location).toBe('/booking/confirm'); // tab 2
    const answer = await complete(agent, tab1);
    expect(answer.headers.location).toBe('/booking/refused');
    const page = await agent.get('/booking/refused');
    expect(page.status).toBe(409);
    expect(page.text).toContain('別の画面(タブ)で時間の選び直しや入力の変更があったため、予約しませんでした');
    expect(await bookingsOf(person.holder.id)).toEqual([]);
    expect((await t.db.prisma.slotHold.findFirstOrThrow({ where: { cardHolderId: person.holder.id } })).slotId).toBe(one.id);
  });

  it('When tab 2 holds 13:00 and confirms another email after tab 1 reached its review, then tab 1 books nothing and tab 2 books 13:00 with its own email', async () => {
    const { noon, one, person, agent } = await citizenWithTwoTimes();
    const tab1 = await reachReview(agent, noon.id, 'tab1@example.jp');
    const tab2 = await reachReview(agent, one.id, 'tab2@example.jp');
    expect((await complete(agent, tab1)).headers.location).toBe('/booking/refused');
    expect(await bookingsOf(person.holder.id)).toEqual([]);
    expect((await complete(agent, tab2)).headers.location).toBe('/booking?done=booked');
    const [booking] = await bookingsOf(person.holder.id);
    expect([booking.slotId, booking.email]).toEqual([one.id, 'tab2@example.jp']);
  });

  it('When a confirm form of an earlier hold is sent after the time was chosen again, then its email is not taken', async () => {
    const { noon, one, person, agent } = await citizenWithTwoTimes();
    await tapTime(agent, noon.id);
    const tab1Confirm = (await agent.get('/booking/confirm')).text;
    await tapTime(agent, one.id); // tab 2
    const sent = await agent
      .post('/booking/confirm')
      .type('form')
      .send({ ...hiddenFields(tab1Confirm, '/booking/confirm'), email: 'tab1@example.jp', emailAgain: 'tab1@example.jp' });
    expect(sent.headers.location).toBe('/booking/refused');
    expect((await agent.get('/booking/review')).headers.location).toBe('/booking/confirm');
    expect(await bookingsOf(person.holder.id)).toEqual([]);
  });
});

describe('retries of a completed booking', () => {
  it('When the answer to a committed booking is lost and the same completion is sent again, then the citizen is shown that booking', async () => {
    const { noon, person, agent } = await citizenWithTwoTimes();
    const review = await reachReview(agent, noon.id, 'retry@example.jp');
    expect((await complete(agent, review)).headers.location).toBe('/booking?done=booked');
    const retry = await complete(agent, review);
    expect(retry.headers.location).toBe('/booking?done=booked');
    const [booking, ...more] = await bookingsOf(person.holder.id);
    expect(more).toEqual([]);
    const page = await agent.get('/booking?done=booked');
    expect(page.text).toContain(booking.code);
    expect(page.text).toContain('予約が完了しました');
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id } })).toBe(1);
  });

  it('When the same completion is sent three times at once (a double tap and a retry), then all three are shown the one booking', async () => {
    const { noon, person, agent } = await citizenWithTwoTimes();
    const review = await reachReview(agent, noon.id, 'tap@example.jp');
    const answers = await Promise.all([complete(agent, review), complete(agent, review), complete(agent, review)]);
    expect(answers.map((answer) => answer.headers.location)).toEqual(Array(3).fill('/booking?done=booked'));
    expect(await bookingsOf(person.holder.id)).toHaveLength(1);
    expect((await t.db.prisma.slot.findUniqueOrThrow({ where: { id: noon.id } })).booked).toBe(1);
  });
});

describe('Back, reload and re-POST after booking', () => {
  it('When every step of the flow is sent, then each POST answers with a redirect (nothing to resubmit on reload)', async () => {
    const { noon, agent } = await citizenWithTwoTimes();
    expect((await tapTime(agent, noon.id)).status).toBe(303);
    const wrong = await post(agent, '/booking/confirm', '/booking/confirm', { email: 'x@', emailAgain: 'x@' });
    expect([wrong.status, wrong.headers.location]).toEqual([303, '/booking/confirm']);
    const errors = await agent.get('/booking/confirm');
    expect(errors.status).toBe(400);
    expect(errors.text).toContain('メールアドレスの形式が正しくありません');
    expect((await agent.get('/booking/confirm')).text).not.toContain('メールアドレスの形式が正しくありません'); // a reload starts clean
    const right = await post(agent, '/booking/confirm', '/booking/confirm', { email: 'ok@example.jp', emailAgain: 'ok@example.jp' });
    expect([right.status, right.headers.location]).toEqual([303, '/booking/review']);
    const done = await post(agent, '/booking/review', '/booking/complete', {});
    expect([done.status, done.headers.location]).toEqual([303, '/booking?done=booked']);
  });

  it('When the citizen goes Back to the review or confirm page, reloads them or sends their forms again after booking, then they are shown the booking', async () => {
    const { noon, person, agent } = await citizenWithTwoTimes();
    const confirmPage = (await tapTime(agent, noon.id), await agent.get('/booking/confirm')).text;
    await post(agent, '/booking/confirm', '/booking/confirm', { email: 'b@example.jp', emailAgain: 'b@example.jp' });
    const review = (await agent.get('/booking/review')).text;
    expect((await complete(agent, review)).headers.location).toBe('/booking?done=booked');
    const form: Record<string, string> = { ...hiddenFields(confirmPage, '/booking/confirm'), email: 'b@example.jp', emailAgain: 'b@example.jp' };
    const returns = [
      await agent.get('/booking/review'),
      await agent.get('/booking/confirm'),
      await agent.get('/booking/counters'),
      await agent.post('/booking/confirm').type('form').send(form),
      await agent.post('/booking/hold').type('form').send({ _csrf: form._csrf, slotId: noon.id }),
    ];
    expect(returns.map((answer) => [answer.status, answer.headers.location])).toEqual(Array(5).fill([303, '/booking']));
    const page = await agent.get('/booking');
    const [booking] = await bookingsOf(person.holder.id);
    expect(page.text).toContain(booking.code);
    expect(page.text).not.toContain('時間の確保が切れました');
  });
});

describe('the booking page', () => {
  it('When a wrong family member is added on the booking page, then the error is shown after a redirect and nothing changes', async () => {
    const { noon, agent } = await citizenWithTwoTimes();
    await book(agent, noon.id, 'family@example.jp');
    const sent = await post(agent, '/booking', '/booking/family/add', { familyId1: '999999999999', familyBirth1: '0101' });
    expect([sent.status, sent.headers.location]).toEqual([303, '/booking']);
    const page = await agent.get('/booking');
    expect(page.status).toBe(400);
    expect(page.text).toContain('ご家族の予約用IDまたは生年月日が正しくないか');
    expect((await agent.get('/booking')).status).toBe(200);
    expect((await t.db.prisma.slot.findUniqueOrThrow({ where: { id: noon.id } })).booked).toBe(1);
  });
});

describe('booking without an email', () => {
  it('When a citizen leaves the email empty, then the booking is made, the page asks them to note the code, and no mail or reminder is queued', async () => {
    const { noon, person, agent } = await citizenWithTwoTimes();
    await tapTime(agent, noon.id);
    expect((await agent.get('/booking/confirm')).text).toContain('メールアドレス(任意)');
    const sent = await post(agent, '/booking/confirm', '/booking/confirm', { email: '', emailAgain: '' });
    expect(sent.headers.location).toBe('/booking/review');
    expect((await agent.get('/booking/review')).text).toContain('登録しない');
    expect((await post(agent, '/booking/review', '/booking/complete', {})).headers.location).toBe('/booking?done=booked');
    const [booking] = await bookingsOf(person.holder.id);
    expect(booking.email).toBeNull();
    const page = await agent.get('/booking?done=booked');
    expect(page.text).toContain(booking.code);
    expect(page.text).toContain('予約番号を必ず控えてください');
    expect(page.text).not.toContain('確認のメールをお送りしました');
    // A booking with an email on the same day gets its reminder: the job ran and skipped ours.
    const other = await createCardHolder(t.db);
    await book(await loggedInCitizen(t.app, other.noticeId, other.mmdd), noon.id, 'other@example.jp');
    const dayBefore = new Date(now.getTime() + 9 * 86_400_000);
    const run = await inTx(t.db, (tx) => queueTomorrowsReminders(tx, dayBefore, 'http://127.0.0.1'));
    expect(run.queued).toBeGreaterThanOrEqual(1);
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id } })).toBe(0);
  });

  it('When only the second email box is filled, then the mismatch is shown and nothing is booked', async () => {
    const { noon, person, agent } = await citizenWithTwoTimes();
    await tapTime(agent, noon.id);
    expect((await post(agent, '/booking/confirm', '/booking/confirm', { email: '', emailAgain: 'a@example.jp' })).headers.location).toBe('/booking/confirm');
    expect((await agent.get('/booking/confirm')).text).toContain('確認用のメールアドレスが一致しません');
    expect(await bookingsOf(person.holder.id)).toEqual([]);
  });
});
