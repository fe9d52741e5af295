// Booking on behalf of a caller through the console's HTTP forms: identity check, channel,
// held-back places, the race with a citizen, the audited over-capacity override, change, cancel.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { book, loggedInCitizen } from '../citizen/citizen-agent.js';
import { csrfTokenFrom as csrfOf } from '../helpers/http.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { auditActions, counterWithSlots, holderAt, postForm, staffOf } from './helpers.js';

pinClock(WORKING_WEDNESDAY); // the days booked here must not depend on the day the suite runs

let t: TestApp;
const day = addDays(todayInJapan(), 6);

beforeAll(async () => {
  t = await createTestApp();
});

const bookPage = (holderId: number) => `/staff/console/holders/${holderId}/book`;
const activeBookings = (cardHolderId: number) => t.db.prisma.booking.findMany({ where: { cardHolderId, status: 'active' }, include: { slot: true } });

describe('book on behalf', () => {
  it('When an operator books for a caller with the right birth date, then the booking is made by phone in a held-back place, the email is queued and the booking is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2, reservedCapacity: 2 }]);
    const caller = await holderAt(t, counter.id, '1225');
    const { user, agent } = await staffOf(t, 'operator');
    const picker = await agent.get(`${bookPage(caller.holder.id)}?counterId=${counter.id}&date=${day}`);
    expect(picker.status).toBe(200);
    expect(picker.text).toContain('空き 2人(うちWeb用 0人)');
    const response = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, {
      slotId: slots[0].id,
      birth: '１２２５',
      email: 'caller@example.jp',
    });
    expect(response.status, response.text).toBe(303);
    expect(response.headers.location).toBe(`/staff/console/holders/${caller.holder.id}?done=booked`);
    const [booking] = await activeBookings(caller.holder.id);
    expect(booking).toMatchObject({ slotId: slots[0].id, channel: 'phone', email: 'caller@example.jp', createdBy: `staff:${user.id}` });
    expect(await t.db.prisma.outboxMessage.count({ where: { bookingId: booking.id, kind: 'booking.confirmation' } })).toBe(1);
    expect((await auditActions(t, user.id)).some((row) => row.action === 'booking.create' && row.targetId === booking.code)).toBe(true);
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: caller.holder.id } })).status).toBe('booked');
  });

  it('When an operator books a procedure the counter offers, then the picker names it and the booking is for it; one the counter does not offer is refused with a message and nothing is booked', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    await t.db.prisma.procedure.create({ data: { code: 'cert-renewal', name: '電子証明書の更新', needsNoticeId: false } });
    await t.db.prisma.counterProcedure.create({ data: { counterId: counter.id, procedureCode: 'cert-renewal' } });
    await t.db.prisma.procedure.create({ data: { code: 'express', name: '特急発行', needsNoticeId: false } });
    const [first, second] = [await holderAt(t, counter.id, '0505'), await holderAt(t, counter.id, '0606')];
    const { agent } = await staffOf(t, 'operator');
    const picker = await agent.get(`${bookPage(first.holder.id)}?counterId=${counter.id}&date=${day}`);
    expect(picker.text).toContain('<option value="cert-renewal">電子証明書の更新</option>');
    expect(picker.text).not.toContain('特急発行');
    const post = (holderId: number, birth: string, procedure: string) =>
      postForm(agent, bookPage(holderId), `/staff/console/holders/${holderId}/book`, { slotId: slots[0].id, birth, procedure, counterId: counter.id, date: day });
    expect((await post(first.holder.id, '0505', 'cert-renewal')).status).toBe(303);
    expect((await activeBookings(first.holder.id))[0].procedureCode).toBe('cert-renewal');
    const refused = await post(second.holder.id, '0606', 'express');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('この窓口では、選んだ手続きの予約を受け付けていません');
    expect(await activeBookings(second.holder.id)).toEqual([]);
    for (const odd of ['\u0000', 'cert-renewal\u0000', 'c'.repeat(41), 'CERT RENEWAL']) {
      const answer = await post(second.holder.id, '0606', odd);
      expect(answer.status, JSON.stringify(odd)).toBe(400);
      expect(answer.text).toContain('手続きを一覧から選び直してください。');
    }
    const doubled = await agent
      .post(`/staff/console/holders/${second.holder.id}/book`)
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrfOf((await agent.get(bookPage(second.holder.id))).text))}&slotId=${slots[0].id}&birth=0606&procedure=pickup&procedure=cert-renewal`);
    expect(doubled.status).toBe(400);
    expect(await activeBookings(second.holder.id)).toEqual([]);
  });

  it('When staff at the counter book, then the channel is counter', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    const person = await holderAt(t, counter.id);
    const { agent } = await staffOf(t, 'staff');
    const response = await postForm(agent, bookPage(person.holder.id), `/staff/console/holders/${person.holder.id}/book`, { slotId: slots[0].id, birth: person.mmdd });
    expect(response.status).toBe(303);
    expect((await activeBookings(person.holder.id))[0].channel).toBe('counter');
  });

  it('When the caller gives the wrong birth date, then nothing is booked, a clear message is shown beside the field, and the failed check is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    const caller = await holderAt(t, counter.id, '0401');
    const { user, agent } = await staffOf(t, 'operator');
    const response = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, {
      slotId: slots[0].id,
      birth: '0402',
      counterId: counter.id,
      date: day,
    });
    expect(response.status).toBe(403);
    expect(response.text).toContain('生年月日(月日)が一致しないか');
    expect(response.text).toContain('aria-invalid="true"');
    expect(await activeBookings(caller.holder.id)).toHaveLength(0);
    expect((await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slots[0].id } })).booked).toBe(0);
    expect((await auditActions(t, user.id)).some((row) => row.action === 'console.identity.failed' && row.targetId === String(caller.holder.id))).toBe(true);
  });

  it('When the birth date is not four digits or no time is chosen, then the form says so and nothing changes', async () => {
    const { counter } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    const caller = await holderAt(t, counter.id);
    const { agent } = await staffOf(t, 'operator');
    const response = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, { birth: '4/1x' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('4桁の数字で入力してください');
    expect(response.text).toContain('時間を選んでください');
    expect(await activeBookings(caller.holder.id)).toHaveLength(0);
  });

  it('When an operator books for a caller while a citizen books the last place of the same slot, then exactly one wins and the other is told the slot is full', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 1 }]);
      const caller = await holderAt(t, counter.id, '0303');
      const citizen = await holderAt(t, counter.id, '0505');
      const { agent: operator } = await staffOf(t, 'operator');
      const citizenAgent = await loggedInCitizen(t.app, citizen.noticeId, citizen.mmdd);
      const [byOperator, byCitizen] = await Promise.all([
        postForm(operator, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, { slotId: slots[0].id, birth: '0303', counterId: counter.id, date: day }),
        book(citizenAgent, slots[0].id, 'racer@example.jp'),
      ]);
      const operatorWon = byOperator.status === 303;
      const citizenWon = byCitizen.status === 303 && byCitizen.headers.location === '/booking?done=booked';
      expect([operatorWon, citizenWon].filter(Boolean)).toHaveLength(1);
      const loser = operatorWon ? byCitizen : byOperator;
      expect(loser.text).toContain('満員になりました');
      const slot = await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slots[0].id } });
      expect(slot.booked).toBe(1);
      expect(await t.db.prisma.booking.count({ where: { slotId: slot.id, status: 'active' } })).toBe(1);
    }
  });
});

describe('over-capacity override', () => {
  it('When staff book a full slot with the override and a reason, then the capacity is raised by one, the booking is made and the override is audited with the reason', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 1 }]);
    const first = await holderAt(t, counter.id);
    const second = await holderAt(t, counter.id);
    const { user, agent } = await staffOf(t, 'staff');
    expect((await postForm(agent, bookPage(first.holder.id), `/staff/console/holders/${first.holder.id}/book`, { slotId: slots[0].id, birth: first.mmdd })).status).toBe(303);
    const full = await postForm(agent, bookPage(second.holder.id), `/staff/console/holders/${second.holder.id}/book`, {
      slotId: slots[0].id,
      birth: second.mmdd,
      counterId: counter.id,
      date: day,
    });
    expect(full.status).toBe(409);
    expect(full.text).toContain('満員になりました');
    const noReason = await postForm(agent, bookPage(second.holder.id), `/staff/console/holders/${second.holder.id}/book`, {
      slotId: slots[0].id,
      birth: second.mmdd,
      override: '1',
      reason: '',
    });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('理由を入力してください');
    const forced = await postForm(agent, bookPage(second.holder.id), `/staff/console/holders/${second.holder.id}/book`, {
      slotId: slots[0].id,
      birth: second.mmdd,
      override: '1',
      reason: '高齢のため当日来庁',
    });
    expect(forced.status).toBe(303);
    const slot = await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slots[0].id } });
    expect(slot).toMatchObject({ capacity: 2, booked: 2 });
    const audit = (await auditActions(t, user.id)).find((row) => row.action === 'console.capacity.override');
    expect(audit).toMatchObject({ targetType: 'slot', targetId: String(slot.id) });
    expect(audit?.detail).toMatchObject({ reason: '高齢のため当日来庁', from: 1, to: 2 });
  });

  it('When an operator sends the override, then it is refused and nothing changes', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 1 }]);
    const caller = await holderAt(t, counter.id);
    const { agent } = await staffOf(t, 'operator');
    const response = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, {
      slotId: slots[0].id,
      birth: caller.mmdd,
      override: '1',
      reason: '理由',
    });
    expect(response.status).toBe(403);
    expect(response.text).toContain('職員のみ');
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slots[0].id } })).toMatchObject({ capacity: 1, booked: 0 });
  });

  it('When the override booking fails (the person already has a booking), then the capacity is not raised either', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [
      { startMinute: 600, capacity: 1 },
      { startMinute: 660, capacity: 1 },
    ]);
    const person = await holderAt(t, counter.id);
    const other = await holderAt(t, counter.id);
    const { agent } = await staffOf(t, 'admin');
    await postForm(agent, bookPage(other.holder.id), `/staff/console/holders/${other.holder.id}/book`, { slotId: slots[0].id, birth: other.mmdd });
    await postForm(agent, bookPage(person.holder.id), `/staff/console/holders/${person.holder.id}/book`, { slotId: slots[1].id, birth: person.mmdd });
    const admin = await t.db.prisma.staffUser.findFirstOrThrow({ where: { role: 'admin' } });
    const by = { id: admin.id, loginId: admin.loginId, displayName: '', role: 'admin' as const, mustChangePassword: false, counterIds: null };
    const override = { slotId: slots[0].id, cardHolderIds: [person.holder.id], channel: 'counter' as const, by, baseUrl: 'http://127.0.0.1', overbookReason: 'x' };
    await expect(transaction(t.db, { type: 'staff', id: String(admin.id) }, (tx) => bookSlot(tx, override))).rejects.toMatchObject({ code: 'already_booked' });
    expect(await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slots[0].id } })).toMatchObject({ capacity: 1, booked: 1 });
    expect(await t.db.prisma.auditLog.count({ where: { action: 'console.capacity.override', targetId: String(slots[0].id) } })).toBe(0);
  });
});

describe('change and cancel on behalf', () => {
  it('When an operator moves a caller to another time and then cancels, then the places follow and both are audited; a wrong birth date changes nothing', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [
      { startMinute: 600, capacity: 2 },
      { startMinute: 660, capacity: 2 },
    ]);
    const caller = await holderAt(t, counter.id, '0909');
    const { user, agent } = await staffOf(t, 'operator');
    await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, { slotId: slots[0].id, birth: '0909' });
    const [booking] = await activeBookings(caller.holder.id);
    const movePage = await agent.get(`${bookPage(caller.holder.id)}?counterId=${counter.id}&date=${day}`);
    expect(movePage.text).toContain('予約の変更(代理)');
    const wrong = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/move`, {
      bookingId: booking.id,
      slotId: slots[1].id,
      birth: '0910',
    });
    expect(wrong.status).toBe(403);
    expect((await activeBookings(caller.holder.id))[0].slotId).toBe(slots[0].id);
    const moved = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/move`, {
      bookingId: booking.id,
      slotId: slots[1].id,
      birth: '0909',
    });
    expect(moved.headers.location).toBe(`/staff/console/holders/${caller.holder.id}?done=moved`);
    expect((await activeBookings(caller.holder.id))[0].slotId).toBe(slots[1].id);
    const cancelled = await postForm(agent, `/staff/console/holders/${caller.holder.id}`, `/staff/console/holders/${caller.holder.id}/cancel`, {
      bookingId: booking.id,
      birth: '0909',
    });
    expect(cancelled.headers.location).toBe(`/staff/console/holders/${caller.holder.id}?done=cancelled`);
    expect(await activeBookings(caller.holder.id)).toHaveLength(0);
    const places = await t.db.prisma.slot.findMany({ where: { id: { in: slots.map((s) => s.id) } }, orderBy: { id: 'asc' } });
    expect(places.map((s) => s.booked)).toEqual([0, 0]);
    const actions = (await auditActions(t, user.id)).map((row) => row.action);
    expect(actions).toEqual(expect.arrayContaining(['booking.create', 'console.identity.failed', 'booking.move', 'booking.cancel']));
  });

  it('When a cancel names a booking of someone else, then it is refused as a wrong birth date would be (no oracle) and that booking stays', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 3 }]);
    const a = await holderAt(t, counter.id);
    const b = await holderAt(t, counter.id);
    const { agent } = await staffOf(t, 'staff');
    await postForm(agent, bookPage(a.holder.id), `/staff/console/holders/${a.holder.id}/book`, { slotId: slots[0].id, birth: a.mmdd });
    const [booking] = await activeBookings(a.holder.id);
    const response = await postForm(agent, `/staff/console/holders/${b.holder.id}`, `/staff/console/holders/${b.holder.id}/cancel`, { bookingId: booking.id, birth: b.mmdd });
    expect(response.status).toBe(403);
    expect(await activeBookings(a.holder.id)).toHaveLength(1);
  });
});

describe('counter scoping of booking on behalf', () => {
  it('When an operator limited to one counter books a slot of another counter, then it is refused and nothing is booked', async () => {
    const { counter: mine } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    const { slots: theirs } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    const caller = await holderAt(t, mine.id);
    const { agent } = await staffOf(t, 'operator', [mine.id]);
    const response = await postForm(agent, bookPage(caller.holder.id), `/staff/console/holders/${caller.holder.id}/book`, {
      slotId: theirs[0].id,
      birth: caller.mmdd,
      counterId: mine.id,
      date: day,
    });
    expect(response.status).toBe(403);
    expect(await activeBookings(caller.holder.id)).toHaveLength(0);
    expect((await t.db.prisma.slot.findUniqueOrThrow({ where: { id: theirs[0].id } })).booked).toBe(0);
  });
});
