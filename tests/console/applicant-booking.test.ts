// Operators and staff book a procedure without a notice ID for a caller (issue 14 point 3): the
// caller says who they are with the fields the city asks for (here name in kana and birth
// date), is found again by them, may have one open booking per procedure, and cancelling asks
// for them again, counted against the staff user's identity checks. Bad input changes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_CHECK_MAX_FAILURES } from '../../src/features/citizen/identity-checks.js';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { bookApplicant, createApplicant, offerProcedure } from '../helpers/factories.js';
import { counterWithSlots, postForm, staffOf } from './helpers.js';

const { today } = pinClock(WORKING_WEDNESDAY);
const day = addDays(today, 5);
const BOOK = '/staff/console/applicants/book';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

async function counterOffering(date = day, options: { sameDayAllowed?: boolean } = {}) {
  const { counter, slots } = await counterWithSlots(t, date, [
    { startMinute: 14 * 60, capacity: 2 },
    { startMinute: 15 * 60, capacity: 2 },
  ]);
  const procedure = await offerProcedure(t.db, counter.id, { name: '暗証番号の再設定', ...options });
  return { counter, slots, procedure, page: `${BOOK}?counterId=${counter.id}&date=${date}` };
}

const caller = { nameKana: 'でんわ はなこ', birthDate: '19800401' };
const bookingsOf = (applicantId: number) => t.db.prisma.booking.findMany({ where: { applicantId }, orderBy: { id: 'asc' } });

describe('booking a caller without a notice ID', () => {
  it("When an operator books a PIN reset for a caller by kana and birth date, then the caller is an applicant (birth date kept only as a key), the booking is by phone with the email, and the caller's page shows it", async () => {
    const { counter, slots, procedure, page } = await counterOffering();
    const { agent } = await staffOf(t, 'operator');
    const form = await agent.get(page);
    expect(form.status).toBe(200);
    expect(form.text).toContain('暗証番号の再設定');
    const response = await postForm(agent, page, BOOK, { counterId: counter.id, date: day, slotId: slots[0].id, procedure, ...caller, email: 'hanako@example.jp' });
    expect(response.status).toBe(303);
    const applicantId = Number(/\/staff\/console\/applicants\/(\d+)\?done=booked$/.exec(response.headers.location)![1]);
    const applicant = await t.db.prisma.applicant.findUniqueOrThrow({ where: { id: applicantId } });
    expect(applicant.nameKana).toBe('デンワハナコ');
    expect(applicant.birthKey).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(applicant)).not.toContain('1980');
    expect(await bookingsOf(applicantId)).toMatchObject([{ slotId: slots[0].id, procedureCode: procedure, channel: 'phone', email: 'hanako@example.jp', cardHolderId: null }]);
    const shown = await agent.get(response.headers.location);
    expect(shown.text).toContain('予約しました');
    expect(shown.text).toContain('デンワハナコ');
    expect(shown.text).toContain('暗証番号の再設定');
  });

  it('When the same caller is booked for the same procedure again (written another way), then it is refused on the page and nothing is written; the phone channel books later today though the web may not', async () => {
    const { counter, slots, procedure, page } = await counterOffering(today, { sameDayAllowed: false });
    const { agent } = await staffOf(t, 'operator');
    const first = await postForm(agent, page, BOOK, { counterId: counter.id, date: today, slotId: slots[1].id, procedure, ...caller, nameKana: 'ﾃﾞﾝﾜ ﾊﾅｺ' });
    expect(first.status).toBe(303);
    const again = await postForm(agent, page, BOOK, { counterId: counter.id, date: today, slotId: slots[0].id, procedure, ...caller, birthDate: '１９８０-０４-０１' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('すでに予約があります');
    const applicantId = Number(/applicants\/(\d+)/.exec(first.headers.location)![1]);
    // The caller booked another procedure in the first test: one person, one booking of each.
    expect((await bookingsOf(applicantId)).filter((booking) => booking.procedureCode === procedure)).toHaveLength(1);
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slots[0].id } })).toMatchObject({ booked: 0 });
  });

  it('When the form is tampered with (the pickup, NUL bytes, huge numbers, doubled or missing fields, an impossible birth date), then each gets a Japanese message, no 500, and nothing is written', async () => {
    const { counter, slots, procedure, page } = await counterOffering();
    const { agent } = await staffOf(t, 'staff');
    const base = { counterId: counter.id, date: day, slotId: slots[0].id, procedure, ...caller };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, procedure: 'pickup' }, 409, '予約用IDでログインしてから'],
      [{ ...base, nameKana: 'ヤマダ\u0000ハナコ' }, 400, 'カナ'],
      [{ ...base, nameKana: 'Yamada' }, 400, 'カナ'],
      [{ ...base, birthDate: '19800231' }, 400, '生年月日'],
      [{ ...base, birthDate: '29990101' }, 400, '生年月日'],
      [{ ...base, slotId: '99999999999999999999' }, 400, ''],
      [{ ...base, slotId: undefined }, 400, '時間を選んでください'],
      [{ ...base, nameKana: ['ヤマダ', 'スズキ'] }, 400, 'カナ'],
      [{ ...base, birthDate: undefined }, 400, '生年月日'],
      [{ ...base, email: 'x'.repeat(10_000) }, 400, 'メールアドレス'],
    ];
    for (const [fields, status, message] of cases) {
      const form = await agent.get(page);
      const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
      const response = await agent
        .post(BOOK)
        .type('form')
        .send({ _csrf: token, ...fields });
      expect([response.status, fields]).toEqual([status, fields]);
      expect(response.text).toContain(message);
    }
    expect(await t.db.prisma.booking.count({ where: { slotId: { in: slots.map((slot) => slot.id) } } })).toBe(0);
  });

  it("When a clerk limited to another counter opens the caller's page or books at this counter, then it is refused", async () => {
    const { counter, slots, procedure, page } = await counterOffering();
    const applicant = await createApplicant(t.db);
    await bookApplicant(t.db, { slotId: slots[0].id, applicantId: applicant.id, procedureCode: procedure });
    const elsewhere = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 1 }]);
    const { agent } = await staffOf(t, 'staff', [elsewhere.counter.id]);
    expect((await agent.get(`/staff/console/applicants/${applicant.id}`)).status).toBe(404);
    const response = await postForm(agent, page, BOOK, { counterId: counter.id, date: day, slotId: slots[1].id, procedure, ...caller, nameKana: 'ベツマドグチ' });
    expect(response.status).toBe(403);
    expect(await t.db.prisma.booking.count({ where: { slotId: slots[1].id } })).toBe(0);
  });
});

describe('cancelling for a caller without a notice ID', () => {
  async function bookedCaller(nameKana: string) {
    const { counter, slots, procedure, page } = await counterOffering();
    const { agent, user } = await staffOf(t, 'operator');
    const booked = await postForm(agent, page, BOOK, { counterId: counter.id, date: day, slotId: slots[0].id, procedure, nameKana, birthDate: '19800401' });
    const applicantId = Number(/applicants\/(\d+)/.exec(booked.headers.location)![1]);
    const [booking] = await bookingsOf(applicantId);
    return { agent, user, applicantId, booking, pagePath: `/staff/console/applicants/${applicantId}`, slot: slots[0] };
  }

  it('When the caller gives a wrong birth date, then nothing is cancelled and the mismatch is said; with the right one the booking is cancelled and its place given back', async () => {
    const { agent, applicantId, booking, pagePath, slot } = await bookedCaller('キャンセル タロウ');
    const wrong = await postForm(agent, pagePath, `${pagePath}/cancel`, { bookingId: booking.id, nameKana: 'キャンセル タロウ', birthDate: '19800402' });
    expect(wrong.status).toBe(403);
    expect((await bookingsOf(applicantId))[0].status).toBe('active');
    const right = await postForm(agent, pagePath, `${pagePath}/cancel`, { bookingId: booking.id, nameKana: 'きゃんせる たろう', birthDate: '19800401' });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe(`${pagePath}?done=cancelled`);
    expect((await bookingsOf(applicantId))[0].status).toBe('cancelled');
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).toMatchObject({ booked: 0 });
  });

  it(`When 20 wrong identities are sent at once to cancel, then at most ${IDENTITY_CHECK_MAX_FAILURES} are checked, the rest refused as spent, an alert is raised, and the booking stays`, async () => {
    const { agent, user, applicantId, booking, pagePath } = await bookedCaller('レンダ ジロウ');
    const form = await agent.get(pagePath);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        agent
          .post(`${pagePath}/cancel`)
          .type('form')
          .send({ _csrf: token, bookingId: booking.id, nameKana: 'レンダ ジロウ', birthDate: `1980${String(5 + (i % 5)).padStart(2, '0')}01` }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 403)).toHaveLength(IDENTITY_CHECK_MAX_FAILURES);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20 - IDENTITY_CHECK_MAX_FAILURES);
    expect((await bookingsOf(applicantId))[0].status).toBe('active');
    expect(await t.db.prisma.alert.count({ where: { kind: 'identity_checks', subjectKey: `staff:${user.id}` } })).toBe(1);
  });

  it('When the right identity is sent ten times at once to cancel, then the booking is cancelled once and its place given back once', async () => {
    const { agent, applicantId, booking, pagePath, slot } = await bookedCaller('イッセイ サブロウ');
    const token = /name="_csrf" value="([^"]+)"/.exec((await agent.get(pagePath)).text)![1];
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        agent.post(`${pagePath}/cancel`).type('form').send({ _csrf: token, bookingId: booking.id, nameKana: 'イッセイ サブロウ', birthDate: '19800401' }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 303)).toHaveLength(1);
    expect(answers.every((answer) => answer.status < 500)).toBe(true);
    expect((await bookingsOf(applicantId))[0].status).toBe('cancelled');
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slot.id } })).toMatchObject({ booked: 0 });
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id, kind: 'booking.cancellation' } })).toBeLessThanOrEqual(1);
  });

  it('When a clerk checks the caller in and hands over on their page, then they come back to the page with what was done', async () => {
    const { counter, slots, procedure } = await counterOffering(today);
    const applicant = await createApplicant(t.db, { nameKana: 'ライチョウ ハナコ' });
    const booking = await bookApplicant(t.db, { slotId: slots[0].id, applicantId: applicant.id, procedureCode: procedure });
    const { agent } = await staffOf(t, 'staff', [counter.id]);
    const pagePath = `/staff/console/applicants/${applicant.id}`;
    const checkedIn = await postForm(agent, pagePath, `/staff/console/bookings/${booking.id}/check-in`, {});
    expect(checkedIn.headers.location).toBe(`${pagePath}?done=check_in`);
    const handedOver = await postForm(agent, pagePath, `/staff/console/bookings/${booking.id}/hand-over`, {});
    expect(handedOver.headers.location).toBe(`${pagePath}?done=hand_over`);
    expect((await agent.get(handedOver.headers.location)).text).toContain('手続き済にしました');
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).status).toBe('handed_over');
  });
});
