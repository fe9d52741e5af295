// A procedure longer than its slot in the console (issue 14, decision 0016): the booking pickers
// list each start time with the places left over the whole run, and a start whose run would
// cross a gap cannot be chosen; the day board lists the booking in every slot of its run, the
// printed list once, with when it ends.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { addDays } from '../../src/lib/jst.js';
import { TEST_CLERK } from '../helpers/booking.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { offerProcedure } from '../helpers/factories.js';
import { counterWithSlots, holderAt, postForm, staffOf, type Agent } from './helpers.js';

const { today } = pinClock('2027-02-01T10:00:00+09:00');
const day = addDays(today, 3);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

/**
 * A counter with 9:00, 9:30 and 10:00, then 13:00 and 13:30 (a gap from 10:30), three places
 * each, offering the pickup and a one-hour application; a pickup at 9:30 and an application
 * from 9:00 (so its run is 9:00 and 9:30) are booked.
 */
async function dayWithLongBooking() {
  const { counter, slots } = await counterWithSlots(
    t,
    day,
    [540, 570, 600, 780, 810].map((startMinute) => ({ startMinute, capacity: 3 })),
  );
  const application = await offerProcedure(t.db, counter.id, { name: '窓口でのカード申請', minutes: 60 });
  const [pickupHolder, applying, caller] = await Promise.all([holderAt(t, counter.id), holderAt(t, counter.id), holderAt(t, counter.id, '0815')]);
  const book = (holderId: number, slotId: number, procedure?: string) =>
    transaction(t.db, { type: 'staff', id: '0' }, (tx) =>
      bookSlot(tx, { slotId, cardHolderIds: [holderId], channel: 'counter', procedure, by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
    );
  await book(pickupHolder.holder.id, slots[1].id);
  const { bookings } = await book(applying.holder.id, slots[0].id, application);
  return { counter, slots, application, caller, booking: bookings[0] };
}

/** The text of the picker's choice for a slot, and whether it can be chosen. */
function choice(html: string, slotId: number) {
  const match = html.match(new RegExp(`<input type="radio" name="slotId" value="${slotId}"([^>]*)>\\s*([^<]*)</label>`));
  if (!match) throw new Error(`no choice for slot ${slotId}`);
  return { text: match[2].trim(), disabled: match[1].includes('disabled') };
}

describe('a procedure longer than its slot in the console', () => {
  let fixture: Awaited<ReturnType<typeof dayWithLongBooking>>;
  let agent: Agent;
  beforeAll(async () => {
    fixture = await dayWithLongBooking();
    agent = (await staffOf(t, 'operator', [fixture.counter.id])).agent;
  });

  it('When an operator picks the long procedure, then each start shows the fewest places over its run and a start that would cross the gap cannot be chosen', async () => {
    const { counter, slots, application, caller } = fixture;
    const picker = (procedure: string) => agent.get(`/staff/console/holders/${caller.holder.id}/book?counterId=${counter.id}&date=${day}&procedure=${procedure}`);
    const long = (await picker(application)).text;
    expect(long).toContain('手続き: 窓口でのカード申請');
    expect(choice(long, slots[0].id)).toEqual({ text: '9:00〜10:00 — 空き 1人(うちWeb用 1人)', disabled: false });
    expect(choice(long, slots[1].id)).toEqual({ text: '9:30〜10:30 — 空き 1人(うちWeb用 1人)', disabled: false });
    expect(choice(long, slots[2].id)).toEqual({ text: '10:00〜10:30 — この手続きはこの時刻からは始められません(次の枠まで続かないため)', disabled: true });
    expect(choice(long, slots[3].id)).toEqual({ text: '13:00〜14:00 — 空き 3人(うちWeb用 3人)', disabled: false });
    expect(choice(long, slots[4].id).disabled).toBe(true);

    const pickup = (await picker('pickup')).text;
    expect(pickup).toContain('手続き: マイナンバーカードの受け取り');
    expect(choice(pickup, slots[0].id)).toEqual({ text: '9:00〜9:30 — 空き 2人(うちWeb用 2人)', disabled: false });
    expect(choice(pickup, slots[2].id)).toEqual({ text: '10:00〜10:30 — 空き 3人(うちWeb用 3人)', disabled: false });
  });

  it('When an operator books a caller without a notice ID for the long procedure, then the applicant picker counts the run too', async () => {
    const { counter, slots, application } = fixture;
    const page = (await agent.get(`/staff/console/applicants/book?counterId=${counter.id}&date=${day}&procedure=${application}`)).text;
    expect(choice(page, slots[1].id).text).toBe('9:30〜10:30 — 空き 1人(うちWeb用 1人)');
    expect(choice(page, slots[2].id).disabled).toBe(true);
  });

  it('When the form is sent anyway for a start that would cross the gap, then it is refused in Japanese and nothing is booked', async () => {
    const { counter, slots, application, caller } = fixture;
    const path = `/staff/console/holders/${caller.holder.id}/book?counterId=${counter.id}&date=${day}&procedure=${application}`;
    const before = await t.db.prisma.slot.findMany({ where: { counterId: counter.id }, orderBy: { id: 'asc' }, select: { booked: true } });
    const response = await postForm(agent, path, `/staff/console/holders/${caller.holder.id}/book`, {
      counterId: counter.id,
      date: day,
      procedure: application,
      slotId: slots[2].id,
      birth: '0815',
    });
    expect(response.status).toBe(409);
    expect(response.text).toContain('この手続きには時間がかかるため、選んだ時間からは受け付けられません');
    expect(choice(response.text, slots[2].id).disabled).toBe(true);
    expect(await t.db.prisma.booking.count({ where: { cardHolderId: caller.holder.id } })).toBe(0);
    expect(await t.db.prisma.slot.findMany({ where: { counterId: counter.id }, orderBy: { id: 'asc' }, select: { booked: true } })).toEqual(before);
  });

  it('When staff open the day board, its JSON and the printed list, then the long booking is in each slot of its run with when it started or ends, and printed once', async () => {
    const { counter, slots, booking } = fixture;
    const { agent: staff } = await staffOf(t, 'staff', [counter.id]);
    const board = (await staff.get(`/staff/console/counters/${counter.id}/day?date=${day}`)).text;
    const row = (slotId: number) => board.slice(board.indexOf(`data-slot-id="${slotId}"`), board.indexOf('</tr>', board.indexOf(`data-slot-id="${slotId}"`)));
    expect(row(slots[0].id)).toContain(`${booking.code}</a>`);
    expect(row(slots[0].id)).toContain('(10:00まで) [窓口でのカード申請]');
    expect(row(slots[1].id)).toContain('(9:00からの続き) [窓口でのカード申請]');
    expect(row(slots[2].id)).not.toContain(booking.code);

    const json = (await staff.get(`/staff/console/counters/${counter.id}/day.json?date=${day}`)).body as {
      slots: { id: number; bookings: { code: string; runLabel: string }[] }[];
    };
    const labels = json.slots.map((slot) => slot.bookings.filter((each) => each.code === booking.code).map((each) => each.runLabel));
    expect(labels).toEqual([['10:00まで'], ['9:00からの続き'], [], [], []]);

    const print = (await staff.get(`/staff/console/counters/${counter.id}/print?date=${day}`)).text;
    expect(print.split(`<td>${booking.code}</td>`)).toHaveLength(2);
    expect(print).toContain('<td>9:00 (10:00まで)</td>');
    expect(print).toContain('予約 2件');
  });

  it('When the picker is asked for odd values (NUL, a long or doubled procedure, 2^31, 2026-02-31), then it answers in Japanese without a 500 and shows a procedure the counter offers', async () => {
    const { counter, caller } = fixture;
    const base = `/staff/console/holders/${caller.holder.id}/book`;
    for (const query of [
      `procedure=%00`,
      `procedure=${'x'.repeat(300)}`,
      'procedure=a&procedure=b',
      `counterId=2147483648`,
      'date=2026-02-31',
      `counterId=${counter.id}&procedure=no-such`,
    ]) {
      const response = await agent.get(`${base}?${query}`);
      expect(response.status, query).toBeLessThan(500);
      expect(response.text, query).not.toContain('no-such');
      if (response.status === 200) expect(response.text, query).toContain('手続き: ');
    }
  });
});
