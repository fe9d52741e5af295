// Slot horizon and booking window (issue 12.3): every day a citizen may book has its slots; an
// open day not yet bookable says when booking opens; staff generate slots for a chosen range.
import { beforeAll, describe, expect, it } from 'vitest';
import { monthCalendar } from '../../src/features/booking/availability.js';
import { planDay } from '../../src/features/schedule/calendar.js';
import { loadTimetables, regenerateHorizon } from '../../src/features/schedule/slot-generation.js';
import { seedDemoData } from '../../src/db/seed.js';
import { addDays, dateColumn, dayOfWeek, isoDateOfColumn, jstInstant, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createWeekdayRule } from '../helpers/factories.js';
import { signedInStaff, submitForm } from '../helpers/staff.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { loggedInCitizen } from '../citizen/citizen-agent.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { inTx } from '../helpers/tx.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

async function weekdayCounter(opensDaysAhead: number) {
  const counter = await createCounter(t.db);
  await createWeekdayRule(t.db, counter.id, 4);
  await t.db.prisma.bookingPolicy.create({ data: { counterId: counter.id, opensDaysAhead } });
  return counter;
}

const slotDates = async (counterId: number) =>
  new Set((await t.db.prisma.slot.findMany({ where: { counterId }, select: { date: true } })).map((slot) => isoDateOfColumn(slot.date)));

describe('the slot horizon covers the booking window', () => {
  it('When the demo is seeded on 12/02 with a 60-day window, then every open day up to 1/31 has slots and January shows no 休み on an open weekday', async () => {
    await seedDemoData(t.db, TEST_SECRETS.birthDatePepper, '2026-12-02');
    const counter = await t.db.prisma.counter.findFirstOrThrow({ where: { code: 'central' } });
    const [timetable] = await loadTimetables(t.db.prisma, [counter.id]);
    const dates = await slotDates(counter.id);
    for (let date = '2026-12-02'; date <= addDays('2026-12-02', 60); date = addDays(date, 1)) {
      if (planDay(timetable, date).open) expect(dates.has(date), date).toBe(true);
    }
    const january = await monthCalendar(t.db, counter.id, '2027-01', undefined, jstInstant('2026-12-02', 10 * 60));
    const days = january.weeks.flat().filter((day) => day !== null);
    expect(days.find((day) => day.date === '2027-01-05')?.state).toBe('free');
    for (const day of days) if (planDay(timetable, day.date).open) expect(day.state, day.date).not.toBe('closed');
  });

  it('When an open day lies beyond the booking window, then the calendar says when booking opens instead of 休み', async () => {
    const counter = await weekdayCounter(30);
    await inTx(t.db, (tx) => regenerateHorizon(tx, '2026-12-02'));
    const january = await monthCalendar(t.db, counter.id, '2027-01', undefined, jstInstant('2026-12-02', 10 * 60));
    const day = january.weeks.flat().find((candidate) => candidate?.date === '2027-01-05');
    expect(day).toMatchObject({ state: 'upcoming', opensAt: jstInstant('2026-12-06') });
    expect(january.weeks.flat().find((candidate) => candidate?.date === '2027-01-01')?.state).toBe('closed'); // 元日
  });

  it('When a citizen opens a month with open days beyond the window, then those days show their opening date and time', async () => {
    const counter = await weekdayCounter(5);
    const today = todayInJapan();
    await inTx(t.db, (tx) => regenerateHorizon(tx, today));
    let date = addDays(today, 6);
    while ([0, 6].includes(dayOfWeek(date))) date = addDays(date, 1);
    const { noticeId, mmdd } = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, noticeId, mmdd);
    const opens = addDays(date, -5);
    const expected = `${Number(opens.slice(5, 7))}月${Number(opens.slice(8))}日 0:00 受付開始`;
    const calendar = await agent.get(`/booking/counters/${counter.id}?month=${date.slice(0, 7)}`);
    expect(calendar.text).toContain(expected);
    const day = await agent.get(`/booking/counters/${counter.id}/days/${date}`);
    expect(day.text).toContain('から受け付けます');
    expect(day.text).not.toContain('受付終了');
  });
});

describe('staff generate slots for a chosen range', () => {
  it('When staff generate a fiscal year, then its open days get slots, the count is shown, it is audited, and later edits keep the range', async () => {
    const counter = await weekdayCounter(60);
    const { agent } = await signedInStaff(t, 'staff');
    const from = addDays(todayInJapan(), 1);
    const to = addDays(from, 364);
    const response = await submitForm(agent, '/staff/schedule', '/staff/schedule/slots', { from, to });
    expect(response.status, response.text).toBe(303);
    const page = await agent.get(response.headers.location);
    expect(page.text).toMatch(/予約枠を作りました\(この期間の予約枠 \d+件/);
    const [timetable] = await loadTimetables(t.db.prisma, [counter.id]);
    const dates = await slotDates(counter.id);
    const lastOpen = [...Array(30).keys()].map((back) => addDays(to, -back)).find((date) => planDay(timetable, date).open)!;
    expect(dates.has(lastOpen)).toBe(true);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'schedule.slots.generate', targetId: `${from}..${to}` } })).toBe(1);
    // A later regeneration (the nightly job) keeps regenerating up to the furthest slot.
    await t.db.prisma.openingRule.updateMany({ where: { counterId: counter.id }, data: { capacityPerSlot: 7 } });
    await inTx(t.db, (tx) => regenerateHorizon(tx, todayInJapan()));
    const last = await t.db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id, date: dateColumn(lastOpen) } });
    expect(last.capacity).toBe(7);
  });

  it('When staff generate a range that starts after the current horizon, then the days in between get their slots too', async () => {
    const counter = await weekdayCounter(10);
    await inTx(t.db, (tx) => regenerateHorizon(tx, todayInJapan()));
    // Only the booking windows' horizon exists (no range generated by earlier tests).
    const windowsEnd = addDays(todayInJapan(), 60 + 14);
    await t.db.prisma.slot.deleteMany({ where: { date: { gt: dateColumn(windowsEnd) }, booked: 0 } });
    const { agent } = await signedInStaff(t, 'admin');
    const from = addDays(todayInJapan(), 200);
    const response = await submitForm(agent, '/staff/schedule', '/staff/schedule/slots', { from, to: addDays(from, 30) });
    expect(response.status, response.text).toBe(303);
    const [timetable] = await loadTimetables(t.db.prisma, [counter.id]);
    const dates = await slotDates(counter.id);
    for (let date = todayInJapan(); date <= addDays(from, 30); date = addDays(date, 1)) {
      if (planDay(timetable, date).open) expect(dates.has(date), date).toBe(true);
    }
  });

  it.each([
    [{ from: '2027-04-10', to: '2027-04-01' }, '終了は開始と同じか後にしてください。'],
    [{ from: '2020-04-01', to: '2020-04-30' }, '開始日は今日以降の日にしてください。'],
    [{ from: '2099-04-01', to: '2100-06-30' }, '期間は400日以内にしてください'],
    [{ from: '2099-02-30', to: '2099-03-01' }, '日付を「2027-01-04」の形で入力してください。'],
    [{ from: '2099-04-01', to: '2099-04-30' }, '今日から400日以内'], // else every day up to 2099 would be generated to fill the gap
  ])('When staff send a bad range %o, then it is refused with a Japanese message and nothing is generated', async (range, message) => {
    const { agent } = await signedInStaff(t, 'staff');
    const before = await t.db.prisma.slot.count();
    const response = await submitForm(agent, '/staff/schedule', '/staff/schedule/slots', range);
    expect(response.status).toBe(400);
    expect(response.text).toContain(message);
    expect(await t.db.prisma.slot.count()).toBe(before);
  });

  it('When two clerks generate the same range five times at the same moment, then every request is answered, each slot exists once, and each run is audited', async () => {
    const counter = await weekdayCounter(60);
    const clerks = await Promise.all([signedInStaff(t, 'staff'), signedInStaff(t, 'admin')]);
    const from = addDays(todayInJapan(), 30);
    const to = addDays(from, 90);
    const tokens = await Promise.all(clerks.map(async ({ agent }) => csrfTokenFrom((await agent.get('/staff/schedule')).text)));
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        clerks[i % 2].agent
          .post('/staff/schedule/slots')
          .type('form')
          .send({ _csrf: tokens[i % 2], from, to }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(303));
    const [duplicates] = await t.db.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM (SELECT 1 FROM slots WHERE counter_id = ${counter.id} GROUP BY starts_at HAVING count(*) > 1) d`;
    expect(duplicates.n).toBe(0);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'schedule.slots.generate', targetId: `${from}..${to}` } })).toBe(10);
  });

  it('When an operator posts a range, then it is refused', async () => {
    const { agent } = await signedInStaff(t, 'operator');
    const response = await submitForm(agent, '/staff/schedule', '/staff/schedule/slots', { from: '2099-04-01', to: '2099-04-30' });
    expect(response.status).toBe(403);
  });
});
