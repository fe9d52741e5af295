// The day board, week overview, search (barcode reader input) and counter scoping, through HTTP.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { auditTextKey } from '../../src/features/staff/audit.js';
import { createTestApp, TEST_SECRETS, type TestApp } from '../helpers/app.js';
import { auditActions, counterWithSlots, holderAt, staffOf } from './helpers.js';

let t: TestApp;
const day = addDays(todayInJapan(), 5);
const baseUrl = 'http://127.0.0.1';

beforeAll(async () => {
  t = await createTestApp();
});

async function bookedHolder(counterId: number, slotId: number, channel: 'web' | 'phone' = 'web', email = 'citizen@example.jp') {
  const person = await holderAt(t, counterId);
  const group = await transaction(t.db, { type: 'citizen', id: String(person.holder.id) }, (tx) =>
    bookSlot(tx, { slotId, cardHolderIds: [person.holder.id], channel, email, baseUrl, by: null }),
  );
  return { ...person, code: group.groupCode };
}

describe('day board', () => {
  it('When staff open a counter day, then each slot shows capacity, booked, web and held-back free places and its bookings, and the view is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [
      { startMinute: 600, capacity: 4, reservedCapacity: 1 },
      { startMinute: 540, capacity: 2 },
    ]);
    const web = await bookedHolder(counter.id, slots[0].id, 'web');
    const phone = await bookedHolder(counter.id, slots[0].id, 'phone');
    await t.db.prisma.cardHolder.update({ where: { id: web.holder.id }, data: { storagePlace: '金庫A-3' } });
    const { user, agent } = await staffOf(t, 'staff');

    const json = await agent.get(`/staff/console/counters/${counter.id}/day.json?date=${day}`);
    expect(json.status).toBe(200);
    expect(json.body.slots.map((s: { time: string }) => s.time)).toEqual(['9:00', '10:00']);
    expect(json.body.slots[1]).toMatchObject({ capacity: 4, booked: 2, reserved: 1, webFree: 1, heldBackFree: 1 });
    expect(json.body.slots[1].bookings.map((b: { code: string; channelLabel: string; storagePlace: string }) => [b.code, b.channelLabel, b.storagePlace])).toEqual([
      [web.code, 'Web', '金庫A-3'],
      [phone.code, '電話', ''],
    ]);
    expect(json.body.totals).toEqual({ capacity: 6, booked: 2, webFree: 3, heldBackFree: 1 });

    const page = await agent.get(`/staff/console/counters/${counter.id}/day?date=${day}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(web.code);
    expect(page.text).toContain('金庫A-3');
    expect(page.text).toContain('/js/console-board.js');
    const actions = (await auditActions(t, user.id)).map((row) => row.action);
    expect(actions).toEqual(expect.arrayContaining(['console.day.refresh', 'console.day.view']));
  });

  it('When the board is read, then its web free places equal what a citizen sees for that day', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 5, reservedCapacity: 2 }]);
    await bookedHolder(counter.id, slots[0].id);
    const { agent } = await staffOf(t, 'operator');
    const board = await agent.get(`/staff/console/counters/${counter.id}/day.json?date=${day}`);
    const { dayTimes } = await import('../../src/features/booking/index.js');
    const citizen = await dayTimes(t.db, counter.id, day);
    expect(board.body.slots.map((s: { webFree: number }) => s.webFree)).toEqual(citizen.map((time) => time.remaining));
    expect(board.body.slots[0].webFree).toBe(2);
  });

  it('When a user limited to another counter opens this counter, then it is refused with 403', async () => {
    const { counter } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 2 }]);
    const { counter: other } = await counterWithSlots(t, day, []);
    const { agent } = await staffOf(t, 'staff', [other.id]);
    expect((await agent.get(`/staff/console/counters/${counter.id}/day?date=${day}`)).status).toBe(403);
    expect((await agent.get(`/staff/console/counters/${counter.id}/day.json?date=${day}`)).status).toBe(403);
    expect((await agent.get(`/staff/console/counters/${counter.id}/week`)).status).toBe(403);
    expect((await agent.get(`/staff/console/counters/${other.id}/week`)).status).toBe(200);
  });

  it('When the week overview is opened, then it sums each of seven days', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [
      { startMinute: 600, capacity: 3, reservedCapacity: 1 },
      { startMinute: 660, capacity: 3 },
    ]);
    await bookedHolder(counter.id, slots[1].id);
    const { agent } = await staffOf(t, 'operator');
    const page = await agent.get(`/staff/console/counters/${counter.id}/week?from=${addDays(day, -1)}`);
    expect(page.status).toBe(200);
    const row = page.text.split('<tr>').find((part) => part.includes(`date=${day}`))!;
    expect(row.match(/<td>(\d+)<\/td>/g)).toEqual(['<td>2</td>', '<td>6</td>', '<td>1</td>', '<td>4</td>', '<td>1</td>']);
    expect(page.text.match(/予約枠なし/g)).toHaveLength(6);
  });
});

describe('search', () => {
  it('When a barcode reader types the notice ID in full-width digits with hyphens, then the console jumps straight to that card holder, and the search is audited', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 3 }]);
    const person = await bookedHolder(counter.id, slots[0].id);
    const { user, agent } = await staffOf(t, 'operator');
    const fullWidth = person.noticeId
      .replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0))
      .replace(/(\d{4})/, '$1－')
      .replace(/^(.{3})/, '$1 ');
    const response = await agent.get(`/staff/console/search?q=${encodeURIComponent(fullWidth)}`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/staff/console/holders/${person.holder.id}`);
    const audit = (await auditActions(t, user.id)).find((row) => row.action === 'console.search');
    expect(audit?.detail).toMatchObject({ query: { key: auditTextKey(TEST_SECRETS.birthDatePepper, person.noticeId) }, found: 1 });
    expect(JSON.stringify(audit?.detail)).not.toContain(person.noticeId);
    const holderPage = await agent.get(response.headers.location);
    expect(holderPage.text).toContain(person.code);
    expect((await auditActions(t, user.id)).some((row) => row.action === 'console.holder.view' && row.targetId === String(person.holder.id))).toBe(true);
  });

  it('When searching by booking code (lower case) or by email, then the card holder is found', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 3 }]);
    const person = await bookedHolder(counter.id, slots[0].id, 'web', 'Hanako.Search@example.jp');
    const { agent } = await staffOf(t, 'staff');
    expect((await agent.get(`/staff/console/search?q=${person.code.toLowerCase()}`)).headers.location).toBe(`/staff/console/holders/${person.holder.id}`);
    expect((await agent.get(`/staff/console/search?q=${encodeURIComponent('hanako.search@example.jp')}`)).headers.location).toBe(`/staff/console/holders/${person.holder.id}`);
  });

  it('When two card holders share the email, then a list is shown instead of a jump; when none matches, it says 0', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 3 }]);
    const a = await bookedHolder(counter.id, slots[0].id, 'web', 'family@example.jp');
    const b = await bookedHolder(counter.id, slots[0].id, 'web', 'family@example.jp');
    const { agent } = await staffOf(t, 'staff');
    const list = await agent.get('/staff/console/search?q=family@example.jp');
    expect(list.status).toBe(200);
    expect(list.text).toContain('2件見つかりました');
    expect(list.text).toContain(a.noticeId);
    expect(list.text).toContain(b.noticeId);
    expect((await agent.get('/staff/console/search?q=00000000000000000000')).text).toContain('0件見つかりました');
  });

  it('When a user limited to another counter searches a card holder of this counter, then nothing is found', async () => {
    const { counter, slots } = await counterWithSlots(t, day, [{ startMinute: 600, capacity: 3 }]);
    const { counter: other } = await counterWithSlots(t, day, []);
    const person = await bookedHolder(counter.id, slots[0].id);
    const { agent } = await staffOf(t, 'operator', [other.id]);
    expect((await agent.get(`/staff/console/search?q=${person.noticeId}`)).text).toContain('0件見つかりました');
    expect((await agent.get(`/staff/console/holders/${person.holder.id}`)).status).toBe(404);
  });
});

describe('staff menu', () => {
  it('When an operator opens the console home, then the console is in the menu but the CSV export is not; staff see both', async () => {
    const { agent: operator } = await staffOf(t, 'operator');
    const { agent: clerk } = await staffOf(t, 'staff');
    const operatorHome = (await operator.get('/staff')).text;
    expect(operatorHome).toContain('href="/staff/console"');
    expect(operatorHome).not.toContain('href="/staff/console/export"');
    const clerkHome = (await clerk.get('/staff')).text;
    expect(clerkHome).toContain('href="/staff/console"');
    expect(clerkHome).toContain('href="/staff/console/export"');
  });
});
