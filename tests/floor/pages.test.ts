// The counter floor through HTTP (issue 18): a clerk checks a visitor in and gets their ticket to
// print, issues walk-in tickets and calls them at a window; anyone opens the call display, the
// waiting page and a ticket's phone page, which carry no personal data; and a call reaches the
// live stream of another app process within 2 s.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { connectDatabase } from '../../src/db/client.js';
import { bookSlot, checkIn } from '../../src/features/booking/index.js';
import type { PublicFloor } from '../../src/features/floor/queue.js';
import { callNext, issueWalkIn } from '../../src/features/floor/tickets.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { followEvents } from '../helpers/events.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { browserAgent } from '../helpers/http.js';
import { signedInStaff, submitForm } from '../helpers/staff.js';
import { inTx } from '../helpers/tx.js';

const { today } = pinClock(WORKING_WEDNESDAY);

let t: TestApp;
const servers: Server[] = [];
const listen = (app: ReturnType<typeof createApp>) =>
  new Promise<string>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    servers.push(server);
  });
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A counter with one citizen booked today, with a name, notice ID and email that must never show in public. */
async function bookedVisitor() {
  const counter = await createCounter(t.db, { windows: 2 });
  const slot = await createSlot(t.db, { counterId: counter.id, date: today, capacity: 4 });
  const { holder, noticeId } = await createCardHolder(t.db, { counterId: counter.id, status: 'card_arrived' });
  const email = `visitor-${holder.id}@example.jp`;
  const { bookings } = await inTx(
    t.db,
    (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'web', email, by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
    STAFF_ACTOR,
  );
  return { counter, holder, noticeId, email, booking: bookings[0] };
}

describe('the window', () => {
  it("When a clerk checks a booked visitor in, then their page shows the ticket's number with its print, which has the QR code to the phone page; the day list and the window show the number", async () => {
    const { counter, holder, booking } = await bookedVisitor();
    const { agent } = await signedInStaff(t);
    const response = await submitForm(agent, `/staff/console/holders/${holder.id}`, `/staff/console/bookings/${booking.id}/check-in`, {});
    expect(response.headers.location).toBe(`/staff/console/holders/${holder.id}?done=check_in`);
    const ticket = await t.db.prisma.ticket.findFirstOrThrow({ where: { bookingId: booking.id } });
    const person = await agent.get(response.headers.location);
    expect(person.text).toContain('受付しました(来庁済)。番号札を印刷してお渡しください。');
    expect(person.text).toContain(`番号札 A-001 <a href="/staff/floor/tickets/${ticket.id}/print">番号札を印刷</a>`);
    const print = await agent.get(`/staff/floor/tickets/${ticket.id}/print`);
    expect(print.status).toBe(200);
    expect(print.text).toContain('A-001');
    expect(print.text).toContain(`/tickets/${ticket.token}`);
    expect(print.text).toMatch(/<svg[^>]*>[\s\S]*<\/svg>/);
    expect((await agent.get(`/staff/floor/tickets/${ticket.id}/print?paper=a4`)).text).toContain('paper-a4');
    const day = await agent.get(`/staff/console/counters/${counter.id}/day?date=${today}`);
    expect(day.text).toContain('来庁済 A-001');
    const window = await agent.get(`/staff/floor/counters/${counter.id}?window=1`);
    expect(window.text).toContain(`<a href="/staff/console/holders/${holder.id}">A-001</a>`);
  });

  it('When a clerk issues a walk-in ticket, calls the next at window 2 and marks it served, then each page says so; the day list counts the walk-in', async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const { agent } = await signedInStaff(t);
    const page = `/staff/floor/counters/${counter.id}?window=2`;
    const issued = await submitForm(agent, page, `/staff/floor/counters/${counter.id}/walk-in`, { procedure: 'pickup' });
    expect(issued.status).toBe(303);
    expect((await agent.get(issued.headers.location)).text).toContain('B-001');
    const called = await submitForm(agent, page, `/staff/floor/counters/${counter.id}/call-next`, { window: '2' });
    expect(called.headers.location).toBe(`/staff/floor/counters/${counter.id}?window=2&done=called%3AB-001`);
    const window = await agent.get(called.headers.location);
    expect(window.text).toContain('B-001 を呼び出しました。');
    expect(window.text).toContain('2番窓口');
    const ticket = await t.db.prisma.ticket.findFirstOrThrow({ where: { counterId: counter.id } });
    const served = await submitForm(agent, page, `/staff/floor/tickets/${ticket.id}/served`, { window: '2' });
    expect((await agent.get(served.headers.location)).text).toContain('B-001 を完了にしました。');
    const nobody = await submitForm(agent, page, `/staff/floor/counters/${counter.id}/call-next`, { window: '2' });
    expect((await agent.get(nobody.headers.location)).text).toContain('お待ちの方はいません。');
    expect((await agent.get(`/staff/console/counters/${counter.id}/day?date=${today}`)).text).toContain('予約なしの来庁(番号札): マイナンバーカードの受け取り 1人');
  });

  it('When a clerk asks for something impossible (a procedure not offered, a window beyond the counter, a ticket called already), then the page says why in Japanese and nothing changes', async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const other = await createCounter(t.db);
    const code = await offerProcedure(t.db, other.id);
    const { agent } = await signedInStaff(t);
    const page = `/staff/floor/counters/${counter.id}?window=1`;
    const notOffered = await submitForm(agent, page, `/staff/floor/counters/${counter.id}/walk-in`, { procedure: code });
    expect(notOffered.status).toBe(400);
    expect(notOffered.text).toContain('この交付場所で受け付けていない手続きです。');
    const noWindow = await submitForm(agent, page, `/staff/floor/counters/${counter.id}/call-next`, { window: '5' });
    expect(noWindow.status).toBe(400);
    expect(noWindow.text).toContain('窓口の番号は 1 から 2 までです。');
    const ticket = await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
    await inTx(t.db, (tx) => callNext(tx, { counterId: counter.id, window: 2, by: TEST_CLERK }), STAFF_ACTOR);
    const again = await submitForm(agent, page, `/staff/floor/tickets/${ticket.id}/call`, { window: '1' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('B-001 はすでに呼び出されたか、終わっています。');
    const rows = await t.db.prisma.ticket.findMany({ where: { counterId: counter.id } });
    expect(rows).toMatchObject([{ status: 'called', window: 2, calls: 1 }]);
  });

  it('When an operator or a clerk of another counter opens the window, then it is refused', async () => {
    const counter = await createCounter(t.db);
    const { agent: operator } = await signedInStaff(t, 'operator');
    expect((await operator.get(`/staff/floor/counters/${counter.id}`)).status).toBe(403);
    const { agent: admin } = await signedInStaff(t, 'admin');
    expect((await admin.get(`/staff/floor/counters/${counter.id}/ranges`)).status).toBe(200);
    const { agent: clerk } = await signedInStaff(t);
    expect((await clerk.get(`/staff/floor/counters/${counter.id}/ranges`)).status).toBe(403);
  });

  it('When an admin saves ranges with the same prefix twice or the last number before the first, then they are refused; good ones are used by the next ticket', async () => {
    const counter = await createCounter(t.db);
    const { agent } = await signedInStaff(t, 'admin');
    const page = `/staff/floor/counters/${counter.id}/ranges`;
    const same = await submitForm(agent, page, page, { bookedPrefix: 'A', bookedFirst: '1', bookedLast: '999', walkInPrefix: 'a', walkInFirst: '50', walkInLast: '10' });
    expect(same.status).toBe(400);
    expect(same.text).toContain('予約のある方とない方で、違う記号にしてください');
    expect(same.text).toContain('最後の番号は最初の番号以上にしてください。');
    const good = await submitForm(agent, page, page, { bookedPrefix: 'R', bookedFirst: '1', bookedLast: '99', walkInPrefix: 'W', walkInFirst: '500', walkInLast: '999' });
    expect(good.status).toBe(303);
    const ticket = await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
    expect(ticket.number).toBe('W-500');
  });
});

describe('the public pages', () => {
  it('When anyone opens the display, the waiting page, a ticket page or the live stream, then they see numbers and windows but no name, notice ID, booking code or email', async () => {
    const { counter, holder, noticeId, email, booking } = await bookedVisitor();
    const { ticket } = await inTx(t.db, (tx) => checkIn(tx, { bookingId: booking.id, by: TEST_CLERK }), STAFF_ACTOR);
    await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
    await inTx(t.db, (tx) => callNext(tx, { counterId: counter.id, window: 2, by: TEST_CLERK }), STAFF_ACTOR);
    const base = await listen(t.app);
    const stream = await followEvents<PublicFloor>(`${base}/floor/${counter.code}/events`);
    const first = await stream.next(() => true);
    stream.close();
    const anonymous = browserAgent(t.app);
    const pages = await Promise.all([`/floor/${counter.code}`, `/floor/${counter.code}/display`, `/tickets/${ticket!.token}`].map((path) => anonymous.get(path)));
    for (const page of pages) expect(page.status).toBe(200);
    const [waiting, display, phone] = pages.map((page) => page.text);
    expect(display).toContain('A-001');
    expect(display).toContain('2番窓口');
    expect(waiting).toContain('お待ちの方 1人');
    expect(phone).toContain('あなたの番です。2番窓口へお越しください。');
    const everything = [...pages.map((page) => page.text), JSON.stringify(first)].join('\n');
    for (const secret of [holder.name, holder.nameKana, noticeId, booking.code, email]) expect(everything).not.toContain(secret);
    expect(first).toEqual({
      counter: counter.name,
      called: [{ number: 'A-001', window: 2, calls: 1, at: expect.any(Number) }],
      waiting: [{ number: 'B-001', waitMinutes: 0 }],
      waitMinutes: 15,
      byProcedure: [{ name: 'マイナンバーカードの受け取り', waiting: 1 }],
    });
  });

  it('When the ticket page is opened in English, then it speaks English; an unknown counter or token is a 404 page', async () => {
    const counter = await createCounter(t.db);
    const ticket = await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
    const english = await browserAgent(t.app).get(`/tickets/${ticket.token}?lang=en`);
    expect(english.text).toContain('You are next. Please wait near the counter.');
    for (const path of ['/floor/no-such-counter', '/floor/%00/events', '/tickets/short', `/tickets/${'x'.repeat(24)}`, '/floor/../display']) {
      expect((await browserAgent(t.app).get(path)).status, path).toBe(404);
    }
  });
});

describe('live across processes', () => {
  it('When a window calls at one app process, then the stream of another process on the same database hears it within 2 s', async () => {
    const counter = await createCounter(t.db);
    const second = connectDatabase(t.db.url, 3);
    const otherApp = createApp({ ...t.context, db: second });
    const base = await listen(otherApp);
    const stream = await followEvents<PublicFloor>(`${base}/floor/${counter.code}/events`);
    await stream.next((floor) => floor.waiting.length === 0);
    await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
    await stream.next((floor) => floor.waiting.length === 1, 2_000);
    const calledAt = Date.now();
    await inTx(t.db, (tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK }), STAFF_ACTOR);
    const heard = await stream.next((floor) => floor.called.length === 1, 2_000);
    expect(heard.called[0]).toMatchObject({ number: 'B-001', window: 1 });
    expect(Date.now() - calledAt).toBeLessThan(2_000);
    stream.close();
    await second.close();
  });

  it('When a process starts shutting down, then its live streams end (browsers reconnect elsewhere) and it takes no new follower', async () => {
    const counter = await createCounter(t.db);
    let draining = false;
    const base = await listen(createApp(t.context, { draining: () => draining }));
    const stream = await followEvents<PublicFloor>(`${base}/floor/${counter.code}/events`);
    await stream.next(() => true);
    draining = true;
    await stream.ended(2_000);
    const refused = await followEvents(`${base}/floor/${counter.code}/events`);
    expect(refused.status).toBe(503);
    refused.close();
  });

  it('When 50 followers open the stream at once and drop it half-way, then nothing breaks: the process answers, and a new follower still hears the next call', async () => {
    const counter = await createCounter(t.db);
    const crashes: unknown[] = [];
    const record = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', record);
    const base = await listen(t.app);
    const dropped = await Promise.all(Array.from({ length: 50 }, () => followEvents<PublicFloor>(`${base}/floor/${counter.code}/events`)));
    await Promise.all(dropped.map((stream) => stream.next(() => true)));
    for (const stream of dropped) stream.close();
    await inTx(t.db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
    const stream = await followEvents<PublicFloor>(`${base}/floor/${counter.code}/events`);
    await inTx(t.db, (tx) => callNext(tx, { counterId: counter.id, window: 1, by: TEST_CLERK }), STAFF_ACTOR);
    await stream.next((floor) => floor.called.length === 1, 2_000);
    stream.close();
    expect((await browserAgent(t.app).get('/healthz')).status).toBe(200);
    process.off('uncaughtException', record);
    expect(crashes).toEqual([]);
  });
});
