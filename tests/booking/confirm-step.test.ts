// The email step (POST /booking/confirm) of a citizen who adds no one: it reads the hold and
// nothing else, and opens no transaction; the other-procedure rows are looked up only when filled.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createCardHolder, createCounter, createSlot, offerProcedure } from '../helpers/factories.js';
import { hiddenFields, loggedInCitizen, post, tapTime } from '../citizen/citizen-agent.js';

const { today } = pinClock('2027-01-15T10:00:00+09:00');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.db.close());

/** The SQL texts the app sends to PostgreSQL while `action` runs. */
async function statementsDuring(action: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    if (text) sent.push(text);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  try {
    await action();
  } finally {
    spy.mockRestore();
  }
  return sent;
}

/** A citizen holding a time at a counter that also offers a procedure booked without a notice ID. */
async function citizenWithHold() {
  const counter = await createCounter(t.db);
  await offerProcedure(t.db, counter.id);
  const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(today, 10), startMinute: 10 * 60, capacity: 4 });
  const person = await createCardHolder(t.db);
  const agent = await loggedInCitizen(t.app, person.noticeId, person.mmdd);
  expect((await tapTime(agent, slot.id)).headers.location).toBe('/booking/confirm');
  return agent;
}

describe('the email step', () => {
  it('When a citizen enters only an email, then the step reads no procedures and opens no transaction, and the review follows', async () => {
    const agent = await citizenWithHold();
    const page = await agent.get('/booking/confirm');
    expect(page.text).toContain('name="other1Procedure"'); // the rows are offered, and left empty
    const fields = { email: 'c@example.jp', emailAgain: 'c@example.jp' };
    let response: Awaited<ReturnType<typeof post>> | undefined;
    const sent = await statementsDuring(async () => {
      response = await agent
        .post('/booking/confirm')
        .type('form')
        .send({ ...hiddenFields(page.text, '/booking/confirm'), ...fields });
    });
    expect(response!.headers.location).toBe('/booking/review');
    expect(sent.length).toBeGreaterThan(0); // the hold was read
    expect(sent.filter((text) => /^\s*BEGIN/.test(text))).toEqual([]);
    expect(sent.filter((text) => /counter_procedures/.test(text))).toEqual([]);
  });

  it('When a citizen fills a row for another procedure with no procedure chosen, then the row is refused beside its field and the procedures were looked up', async () => {
    const agent = await citizenWithHold();
    const sent = await statementsDuring(async () => {
      const response = await post(agent, '/booking/confirm', '/booking/confirm', { email: 'c@example.jp', emailAgain: 'c@example.jp', other1NameKana: 'ヤマダハナコ' });
      expect(response.headers.location).toBe('/booking/confirm');
    });
    expect(sent.filter((text) => /counter_procedures/.test(text)).length).toBeGreaterThan(0);
    const again = await agent.get('/booking/confirm');
    expect(again.status).toBe(400);
    expect(again.text).toContain('手続きを選んでください。');
    expect(again.text).toContain('ヤマダハナコ');
  });

  it('When the rows for other procedures carry a doubled procedure or a NUL, then they are refused beside their fields, no applicant is made and the answer is never a 500', async () => {
    const agent = await citizenWithHold();
    const page = await agent.get('/booking/confirm');
    const applicantsBefore = await t.db.prisma.applicant.count();
    const body = [
      ...Object.entries(hiddenFields(page.text, '/booking/confirm')).map(([name, value]) => `${name}=${encodeURIComponent(value)}`),
      'email=c%40example.jp',
      'emailAgain=c%40example.jp',
      'other1Procedure=a',
      'other1Procedure=b',
      'other1NameKana=%E3%83%A4%E3%83%9E%E3%83%80',
      'other2NameKana=%E3%83%A4%00%E3%83%9E',
    ].join('&');
    const response = await agent.post('/booking/confirm').type('form').send(body);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/booking/confirm');
    const again = await agent.get('/booking/confirm');
    expect(again.status).toBe(400);
    expect(again.text).toContain('手続きを選んでください。');
    expect(await t.db.prisma.applicant.count()).toBe(applicantsBefore);
  });
});
