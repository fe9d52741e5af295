// Bookings of applicants (people who book a procedure without a notice ID, issue 14) in the
// staff console: the day board, its JSON, the printed list, the bookings CSV and the search
// show the applicant's kana name and say they have no notice ID, with no card-holder link.
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { bookApplicant, createApplicant } from '../helpers/factories.js';
import { binaryBody } from '../helpers/http.js';
import { createBooking } from '../helpers/bookings.js';
import { auditActions, counterWithSlots, postForm, staffOf } from './helpers.js';

const { today } = pinClock(WORKING_WEDNESDAY);
const day = addDays(today, 5);
const LABEL = '通知書なし(申請者)';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

/** A counter's day with one card holder's booking and one applicant's, in the same slot. */
async function mixedDay(applicant: { nameKana?: string; phone?: string; email?: string } = {}, date = day) {
  const { counter, slots } = await counterWithSlots(t, date, [{ startMinute: 600, capacity: 3 }]);
  const holderBooking = await createBooking(t.db, { slotId: slots[0].id });
  const person = await createApplicant(t.db, applicant);
  const booking = await bookApplicant(t.db, { slotId: slots[0].id, applicantId: person.id, email: applicant.email });
  return { counter, slot: slots[0], holderBooking, applicant: person, booking };
}

describe('day board, print and CSV with an applicant booking', () => {
  it('When a slot holds an applicant booking, then the board (page and JSON) shows its kana name and the no-notice label, with no holder link, notice ID or storage place', async () => {
    const { counter, slot, booking, holderBooking } = await mixedDay({ nameKana: 'ツウチナシ ハナコ' });
    const { agent } = await staffOf(t, 'staff');

    const json = await agent.get(`/staff/console/counters/${counter.id}/day.json?date=${day}`);
    expect(json.status).toBe(200);
    expect(json.body.slots[0]).toMatchObject({ id: slot.id, booked: 2 });
    const shown = json.body.slots[0].bookings.find((b: { code: string }) => b.code === booking.code);
    expect(shown).toMatchObject({
      holderId: null,
      applicantId: booking.applicantId,
      noticeId: '',
      name: 'ツウチナシ ハナコ',
      storagePlace: '',
      storedAt: null,
      personLabel: LABEL,
      transferLabel: '',
    });
    const holder = json.body.slots[0].bookings.find((b: { code: string }) => b.code === holderBooking.code);
    expect(holder).toMatchObject({ holderId: holderBooking.cardHolderId, personLabel: '' });

    const page = await agent.get(`/staff/console/counters/${counter.id}/day?date=${day}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<a href="/staff/console/applicants/${booking.applicantId}">${booking.code}</a> ツウチナシ ハナコ [${LABEL}]`);
    expect(page.text).toContain(`href="/staff/console/holders/${holderBooking.cardHolderId}"`);
    expect(page.text).not.toContain('/staff/console/holders/null');
  });

  it('When the day is printed, then the applicant row shows the kana name and the label where the notice ID goes', async () => {
    const { counter, booking } = await mixedDay({ nameKana: 'インサツ タロウ' });
    const { agent } = await staffOf(t, 'staff');
    const page = await agent.get(`/staff/console/counters/${counter.id}/print?date=${day}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('予約 2件');
    expect(page.text).toMatch(new RegExp(`<td>${booking.code}</td><td>${LABEL.replace(/[()]/g, '\\$&')}</td><td>インサツ タロウ</td>`));
  });

  it('When bookings are exported, then the applicant row has an empty notice ID and storage place and the kana name in the name columns, in the usual columns', async () => {
    const { counter, booking, holderBooking } = await mixedDay({ nameKana: 'シーエスブイ ジロウ', email: 'applicant@example.jp' });
    const { agent } = await staffOf(t, 'staff');
    const csv = await agent.get(`/staff/console/export.csv?counterId=${counter.id}&from=${day}&to=${day}`).buffer(true).parse(binaryBody);
    expect(csv.status).toBe(200);
    const [header, ...rows] = parse((csv.body as Buffer).subarray(3).toString('utf8')) as string[][];
    expect(header).toHaveLength(14);
    const row = Object.fromEntries(header.map((name, index) => [name, rows.find((r) => r[0] === booking.code)![index]]));
    expect(row).toMatchObject({ 通知書番号: '', 氏名: 'シーエスブイ ジロウ', '氏名(カナ)': 'シーエスブイ ジロウ', 保管場所: '', メールアドレス: 'applicant@example.jp' });
    expect(rows.map((r) => r[0]).sort()).toEqual([booking.code, holderBooking.code].sort());
  });
});

describe('counter work on an applicant booking', () => {
  it("When a clerk checks an applicant in, then the booking is checked in and the clerk returns to the applicant's page", async () => {
    const { booking, holderBooking } = await mixedDay({ nameKana: 'ライチョウ ゴロウ' }, today);
    const { agent } = await staffOf(t, 'staff');
    const response = await postForm(agent, `/staff/console/holders/${holderBooking.cardHolderId}`, `/staff/console/bookings/${booking.id}/check-in`, {});
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/staff/console/applicants/${booking.applicantId}?done=check_in`);
    expect((await t.db.prisma.booking.findUniqueOrThrow({ where: { id: booking.id } })).status).toBe('checked_in');
  });
});

describe('search finds applicants', () => {
  it('When staff search a part of the kana name (in hiragana), then the applicant is listed with the label and the booking, not jumped to, and the search is audited', async () => {
    const { booking } = await mixedDay({ nameKana: 'ケンサク ミツコ' });
    const { user, agent } = await staffOf(t, 'operator');
    const page = await agent.get(`/staff/console/search?q=${encodeURIComponent('けんさく　みつ')}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('1件見つかりました');
    expect(page.text).toContain(LABEL);
    expect(page.text).toContain('ケンサク ミツコ');
    expect(page.text).toContain(booking.code);
    const audit = (await auditActions(t, user.id)).find((row) => row.action === 'console.search');
    expect(audit?.detail).toMatchObject({ found: 1, applicants: 1, partial: true });
  });

  it('When staff search the phone number (with hyphens, full width) or the booking code, then the applicant is found', async () => {
    const { booking } = await mixedDay({ nameKana: 'デンワ サブロウ', phone: '090-7777-1234' });
    const { agent } = await staffOf(t, 'staff');
    for (const q of ['０９０－７７７７－１２３４', booking.code.toLowerCase()]) {
      const page = await agent.get(`/staff/console/search?q=${encodeURIComponent(q)}`);
      expect(page.status, q).toBe(200);
      expect(page.text, q).toContain('1件見つかりました');
      expect(page.text, q).toContain('デンワ サブロウ');
    }
  });

  it('When a user limited to another counter searches the applicant, then nothing is found; staff of the booked counter find them', async () => {
    const { counter } = await mixedDay({ nameKana: 'ハンイガイ シロウ' });
    const { counter: other } = await counterWithSlots(t, day, []);
    const { agent: outsider } = await staffOf(t, 'operator', [other.id]);
    const { agent: insider } = await staffOf(t, 'operator', [counter.id]);
    const q = encodeURIComponent('ハンイガイ');
    expect((await outsider.get(`/staff/console/search?q=${q}`)).text).toContain('0件見つかりました');
    expect((await insider.get(`/staff/console/search?q=${q}`)).text).toContain('1件見つかりました');
  });
});
