import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookingDeadline, bookingWindowProblem, changeWindowProblem } from '../../src/features/booking/window.js';
import { dayPage, holdSlot, slotDeadline } from '../../src/features/booking/index.js';
import { composeBookingMail } from '../../src/features/booking/mail.js';
import { counterRules } from '../../src/features/booking/counter-rules.js';
import { dateColumn, formatMomentJa, jstInstant } from '../../src/lib/jst.js';
import type { BookingPolicyRules } from '../../src/features/schedule/policy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createCardHolder, createCounter, createSlot } from '../helpers/factories.js';
import { createTestApp } from '../helpers/app.js';
import { loggedInCitizen } from '../citizen/citizen-agent.js';

const policy: BookingPolicyRules = { opensDaysAhead: 30, closesDaysBefore: 1, closesAtMinute: 17 * 60, sameDayAllowed: false, sameDayUntilMinutes: 60, maxPeoplePerBooking: 5 };
const visit = jstInstant('2026-12-10', 9 * 60); // Thursday 09:00 JST

describe('booking window in Japan time', () => {
  it('When it is 16:59 JST the day before, then booking is open; at 17:01 JST it has closed', () => {
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-09', 16 * 60 + 59))).toBeNull();
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-09', 17 * 60 + 1))).toBe('deadline_passed');
  });

  it('When the visit is further ahead than the policy opens, then it is not open yet, but a change of an existing booking is not refused for that', () => {
    const far = jstInstant('2027-01-20', 9 * 60);
    expect(bookingWindowProblem(far, policy, jstInstant('2026-12-01', 10 * 60))).toBe('not_open_yet');
    expect(changeWindowProblem(far, policy, jstInstant('2026-12-01', 10 * 60))).toBeNull();
  });

  it('When same-day booking is allowed, then it closes the set minutes before the time', () => {
    const sameDay = { ...policy, sameDayAllowed: true };
    expect(bookingWindowProblem(visit, sameDay, jstInstant('2026-12-10', 7 * 60 + 59))).toBeNull();
    expect(bookingWindowProblem(visit, sameDay, jstInstant('2026-12-10', 8 * 60 + 1))).toBe('deadline_passed');
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-10', 7 * 60))).toBe('deadline_passed');
  });

  it('When same-day booking is allowed, then a visit tomorrow stays open through the evening before (no day deadline at 17:00)', () => {
    const sameDay = { ...policy, sameDayAllowed: true };
    expect(bookingWindowProblem(visit, sameDay, jstInstant('2026-12-09', 20 * 60))).toBeNull();
    expect(changeWindowProblem(visit, sameDay, jstInstant('2026-12-09', 23 * 60 + 59))).toBeNull();
    expect(bookingWindowProblem(visit, policy, jstInstant('2026-12-09', 20 * 60))).toBe('deadline_passed');
  });
});

describe("deadline counted in the counter's opening days (開庁日)", () => {
  let db: TestDatabase;
  let counterId: number;
  beforeAll(async () => {
    db = await createTestDatabase(4);
    const counter = await createCounter(db);
    counterId = counter.id;
    await db.prisma.openingRule.create({
      data: {
        counterId,
        label: '平日',
        daysOfWeek: [1, 2, 3, 4, 5],
        startMinute: 540,
        endMinute: 1020,
        slotMinutes: 30,
        capacityPerSlot: 4,
        reservedCapacity: 0,
        validFrom: dateColumn('2026-04-01'),
      },
    });
    await db.prisma.closure.create({ data: { counterId: null, kind: 'yearly_range', label: '年末年始', params: { from: '12-29', to: '01-03' } } });
    await db.prisma.bookingPolicy.create({ data: { counterId: null, opensDaysAhead: 60, closesDaysBefore: 1, closesAtMinute: 17 * 60 } });
  });

  it('When the visit is on a Monday and N=1, then the deadline is the Friday before at 17:00, not Sunday', async () => {
    const { isOpeningDay: isOpen } = await counterRules(db, counterId);
    // Monday 2026-12-07: the opening day before is Friday 12/04.
    expect(bookingDeadline('2026-12-07', policy, isOpen)).toEqual(jstInstant('2026-12-04', 17 * 60));
    expect(bookingWindowProblem(jstInstant('2026-12-07', 9 * 60), policy, jstInstant('2026-12-05', 10 * 60), isOpen)).toBe('deadline_passed');
    expect(bookingWindowProblem(jstInstant('2026-12-07', 9 * 60), policy, jstInstant('2026-12-04', 16 * 60 + 59), isOpen)).toBeNull();
  });

  it('When a national holiday lies between, then it is not counted (成人の日 1/11 -> Tuesday 1/12 closes Friday 1/8)', async () => {
    const { isOpeningDay: isOpen } = await counterRules(db, counterId);
    expect(bookingDeadline('2027-01-12', policy, isOpen)).toEqual(jstInstant('2027-01-08', 17 * 60));
    expect(bookingDeadline('2027-01-12', { ...policy, closesDaysBefore: 2 }, isOpen)).toEqual(jstInstant('2027-01-07', 17 * 60));
  });

  it('When the year-end closure lies between, then the visit on 1/4 closes on 12/28, the last opening day of the year', async () => {
    const deadline = await slotDeadline(db, { counterId, startsAt: jstInstant('2027-01-04', 9 * 60) }, ['pickup']);
    expect(deadline).toEqual(jstInstant('2026-12-28', 17 * 60));
    expect(formatMomentJa(deadline)).toBe('2026年12月28日(月) 17:00');
  });

  it('When a citizen tries to hold a Monday time on the Saturday before, then it is refused as past the deadline', async () => {
    const slot = await createSlot(db, { counterId, date: '2026-12-07' });
    const { holder } = await createCardHolder(db, { counterId });
    await expect(
      transaction(db, { type: 'citizen', id: String(holder.id) }, (tx) =>
        holdSlot(tx, { slotId: slot.id, cardHolderId: holder.id, minutes: 10, now: jstInstant('2026-12-05', 10 * 60) }),
      ),
    ).rejects.toMatchObject({ code: 'deadline_passed' });
    expect((await db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).booked).toBe(0);
  });

  it('When the day page and the confirmation mail are shown, then they carry the actual deadline date and time', async () => {
    const page = await dayPage(db, counterId, '2026-12-07', undefined, jstInstant('2026-12-02', 10 * 60));
    expect(page?.deadline).toEqual(jstInstant('2026-12-04', 17 * 60));
    const mail = composeBookingMail(
      'confirmation',
      {
        code: 'ABCD2345',
        procedure: { name: 'マイナンバーカードの受け取り', documents: [] },
        counterName: '本庁',
        counterAddress: '市役所1階',
        accessNotes: '',
        startsAt: jstInstant('2026-12-07', 540),
        endsAt: jstInstant('2026-12-07', 570),
        people: 1,
        deadline: page!.deadline,
      },
      'https://example.jp',
    );
    expect(mail.text).toContain('変更・取消の受付締切: 2026年12月4日(金) 17:00まで');
    expect(mail.text).not.toContain('受付締切まで');
  });
});

describe('the booking page shows the deadline', () => {
  it('When a citizen has a booking, then the page states the actual deadline date and time, not only 「受付締切まで」', async () => {
    const t = await createTestApp();
    const counter = await createCounter(t.db);
    const slot = await createSlot(t.db, { counterId: counter.id, date: '2099-03-16' }); // a Monday, no rules: calendar days
    const { holder, noticeId, mmdd } = await createCardHolder(t.db);
    await t.db.prisma.booking.create({ data: { code: 'DEAD2345', slotId: slot.id, cardHolderId: holder.id, channel: 'web', createdBy: 'test' } });
    const agent = await loggedInCitizen(t.app, noticeId, mmdd);
    const page = await agent.get('/booking');
    expect(page.text).toContain('変更・取消は2099年3月15日(日) 17:00までこの画面でできます');
  });
});
