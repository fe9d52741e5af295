// Console gaps of issue 12.7: the password link in the menu, the citizen's log-in lock as they
// meet it, counter work on a day other than the booking's.
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_CLERK } from '../helpers/booking.js';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { authenticateCitizen } from '../../src/features/citizen/login-service.js';
import { addDays, formatMinutes, jstMinutesOf, todayInJapan } from '../../src/lib/jst.js';
import { TEST_SECRETS, createTestApp, type TestApp } from '../helpers/app.js';
import { counterWithSlots, holderAt, postForm, staffOf } from './helpers.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
const baseUrl = 'http://127.0.0.1';

beforeAll(async () => {
  t = await createTestApp();
});

async function bookedOn(date: string) {
  const { counter, slots } = await counterWithSlots(t, date, [{ startMinute: 600, capacity: 2 }]);
  const person = await holderAt(t, counter.id);
  const group = await transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
    bookSlot(tx, { slotId: slots[0].id, cardHolderIds: [person.holder.id], channel: 'web', email: null, baseUrl, by: TEST_CLERK }),
  );
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
    for (let i = 0; i < times; i += 1) await authenticateCitizen(t.db, TEST_SECRETS.birthDatePepper, noticeId, '1231', `192.0.2.${i + 1}`);
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

  it('When staff check in a booking of today, then no confirmation is asked', async () => {
    const person = await bookedOn(todayInJapan());
    const { agent } = await staffOf(t, 'staff');
    const holderPage = `/staff/console/holders/${person.holder.id}`;
    expect((await agent.get(holderPage)).text).not.toContain('以外の来庁として処理する');
    expect((await postForm(agent, holderPage, `/staff/console/bookings/${person.bookingId}/check-in`, {})).status).toBe(303);
  });
});

describe('search by part of an ID or a name', () => {
  const named = async (name: string, nameKana: string) => {
    const person = await holderAt(t, (await counterWithSlots(t, todayInJapan(), [])).counter.id);
    await t.db.prisma.cardHolder.update({ where: { id: person.holder.id }, data: { name, nameKana } });
    return person;
  };
  const listed = (html: string, noticeId: string) => html.includes(`>${noticeId}</a>`);

  it('When staff type part of a notice ID in full-width digits, then the card holders whose ID contains it are listed', async () => {
    const a = await named('検索 一郎', 'ケンサク イチロウ');
    const b = await named('検索 二郎', 'ケンサク ジロウ');
    await t.db.prisma.cardHolder.update({ where: { id: a.holder.id }, data: { noticeId: '7319000000000001' } });
    await t.db.prisma.cardHolder.update({ where: { id: b.holder.id }, data: { noticeId: '7319000000000002' } });
    const { agent } = await staffOf(t, 'staff');
    const page = await agent.get(`/staff/console/search?q=${encodeURIComponent('７３１９０')}`);
    expect(page.status).toBe(200);
    expect(listed(page.text, '7319000000000001') && listed(page.text, '7319000000000002')).toBe(true);
    const one = await agent.get(`/staff/console/search?q=${encodeURIComponent('000000002')}`);
    expect(one.headers.location).toBe(`/staff/console/holders/${b.holder.id}`);
  });

  it('When staff type a kana name in hiragana, half-width katakana or without the space, then the card holder is found; a kanji part of the name also finds them', async () => {
    const person = await named('帆風 さくら', 'ホカゼ サクラ');
    const { agent } = await staffOf(t, 'staff');
    for (const typed of ['ほかぜ', 'ﾎｶｾﾞ ｻｸﾗ', 'ほかぜさくら', 'カゼ　サク', '帆風']) {
      const response = await agent.get(`/staff/console/search?q=${encodeURIComponent(typed)}`);
      expect(response.headers.location, typed).toBe(`/staff/console/holders/${person.holder.id}`);
    }
    const none = await agent.get(`/staff/console/search?q=${encodeURIComponent('ほかぜはな')}`);
    expect(none.text).toContain('0件見つかりました');
  });

  it('When a user limited to another counter searches by name, then card holders of other counters are not found', async () => {
    const person = await named('範囲 外子', 'ハンイ ソトコ');
    const { counter: other } = await counterWithSlots(t, todayInJapan(), []);
    await t.db.prisma.cardHolder.update({ where: { id: person.holder.id }, data: { counterId: (await counterWithSlots(t, todayInJapan(), [])).counter.id } });
    const { agent } = await staffOf(t, 'staff', [other.id]);
    expect((await agent.get(`/staff/console/search?q=${encodeURIComponent('はんい')}`)).text).toContain('0件見つかりました');
  });
});

describe('search by part for a clerk limited to one counter', () => {
  it('When hundreds of people at other counters share a name part with one at the clerk’s counter, then the clerk still finds that one', async () => {
    const { counter: own } = await counterWithSlots(t, todayInJapan(), []);
    const { counter: elsewhere } = await counterWithSlots(t, todayInJapan(), []);
    await t.db.prisma.cardHolder.createMany({
      data: Array.from({ length: 600 }, (_, i) => ({
        noticeId: `77${String(i).padStart(12, '0')}`,
        birthKey: 'x',
        name: '山田 花子',
        nameKana: 'ヤマダ ハナコ',
        counterId: elsewhere.id,
      })),
    });
    const mine = await holderAt(t, own.id);
    await t.db.prisma.cardHolder.update({ where: { id: mine.holder.id }, data: { name: '山田 一郎', nameKana: 'ヤマダ イチロウ' } });
    const { agent } = await staffOf(t, 'staff', [own.id]);
    const found = await agent.get(`/staff/console/search?q=${encodeURIComponent('やまだ')}`);
    expect(found.headers.location).toBe(`/staff/console/holders/${mine.holder.id}`); // one match opens it
  });
});

describe('a card stored at another counter', () => {
  it('When a card stored at one counter is booked at another, then the day board, its refresh JSON, the printed list and the pull list say where it is and that it must be moved', async () => {
    const day = addDays(todayInJapan(), 3);
    const { counter: bookedAt, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 3 }]);
    const { counter: storedAt } = await counterWithSlots(t, day, []);
    const moved = await holderAt(t, storedAt.id);
    const local = await holderAt(t, bookedAt.id);
    for (const person of [moved, local])
      await transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
        bookSlot(tx, { slotId: slots[0].id, cardHolderIds: [person.holder.id], channel: 'web', email: null, baseUrl, by: TEST_CLERK }),
      );
    const { agent } = await staffOf(t, 'staff');
    const flag = `保管場所: ${storedAt.name} — 移送が必要`;

    const board = (await agent.get(`/staff/console/counters/${bookedAt.id}/day?date=${day}`)).text;
    expect(board.split(flag)).toHaveLength(2); // once: the local card is not flagged
    const json = (await agent.get(`/staff/console/counters/${bookedAt.id}/day.json?date=${day}`)).body as { slots: { bookings: { holderId: number; transferLabel: string }[] }[] };
    expect(Object.fromEntries(json.slots[0].bookings.map((b) => [b.holderId, b.transferLabel]))).toEqual({ [moved.holder.id]: flag, [local.holder.id]: '' });
    expect((await agent.get(`/staff/console/counters/${bookedAt.id}/print?date=${day}`)).text).toContain(flag);
    const pull = (await agent.get(`/staff/cards/pull-list?counterId=${bookedAt.id}&date=${day}`)).text;
    expect(pull.split(flag)).toHaveLength(2);
    expect((await agent.get(`/staff/cards/pull-list.csv?counterId=${bookedAt.id}&date=${day}`)).text).toContain(flag);
  });
});
