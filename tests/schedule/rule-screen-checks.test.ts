// Issue 12.10 on the staff screen and the citizen page: overlapping opening rules are refused
// with a clear message (also when two admins save at once), and a rule's label is shown to
// citizens next to the time.
import { beforeAll, describe, expect, it } from 'vitest';
import { regenerateHorizon } from '../../src/features/schedule/slot-generation.js';
import { addDays, dayOfWeek, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter } from '../helpers/factories.js';
import { signedInStaff, submitForm } from '../helpers/staff.js';
import { loggedInCitizen } from '../citizen/citizen-agent.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { inTx } from '../helpers/tx.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
let admin: Awaited<ReturnType<typeof signedInStaff>>['agent'];
beforeAll(async () => {
  t = await createTestApp();
  ({ agent: admin } = await signedInStaff(t, 'admin'));
});

const today = todayInJapan();
const rule = (overrides: Record<string, string | string[]>) => ({
  label: '1F',
  days: ['1', '2'],
  start: '09:00',
  end: '09:40',
  breakStart: '',
  breakEnd: '',
  slotMinutes: '40',
  capacityMode: 'slot',
  capacityPerSlot: '48',
  peoplePerWindow: '',
  reservedCapacity: '0',
  validFrom: today,
  validTo: '',
  ...overrides,
});
const save = (counterId: number, fields: Record<string, string | string[]>) =>
  submitForm(admin, `/staff/schedule/counters/${counterId}/rules/new`, `/staff/schedule/counters/${counterId}/rules`, fields);

describe('overlapping opening rules on the screen', () => {
  it('When a second rule overlaps the first (09:30-10:00 for 10 on a Tuesday), then it is refused with a message naming the first and no capacity is added', async () => {
    const counter = await createCounter(t.db);
    expect((await save(counter.id, rule({}))).status).toBe(303);
    const slotsBefore = await t.db.prisma.slot.aggregate({ where: { counterId: counter.id }, _sum: { capacity: true } });
    const refused = await save(counter.id, rule({ label: '3F', days: ['2', '3'], start: '09:30', end: '10:00', slotMinutes: '30', capacityPerSlot: '10' }));
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('ルール「1F」(月・火 9:00〜9:40');
    expect(refused.text).toContain('重なっています');
    expect(await t.db.prisma.openingRule.count({ where: { counterId: counter.id } })).toBe(1);
    expect(await t.db.prisma.slot.aggregate({ where: { counterId: counter.id }, _sum: { capacity: true } })).toEqual(slotsBefore);
  });

  it('When a rule is edited, then it is not compared with itself; moved onto another rule, it is refused', async () => {
    const counter = await createCounter(t.db);
    await save(counter.id, rule({}));
    await save(counter.id, rule({ label: '夜間窓口', start: '17:00', end: '19:00', slotMinutes: '30', capacityPerSlot: '8' }));
    const [first, evening] = await t.db.prisma.openingRule.findMany({ where: { counterId: counter.id }, orderBy: { id: 'asc' } });
    const edit = (id: number, fields: Record<string, string | string[]>) =>
      submitForm(admin, `/staff/schedule/counters/${counter.id}/rules/${id}/edit`, `/staff/schedule/counters/${counter.id}/rules/${id}`, fields);
    expect((await edit(first.id, rule({ capacityPerSlot: '40' }))).status).toBe(303);
    expect((await edit(evening.id, rule({ label: '夜間窓口', start: '09:00', end: '11:00', slotMinutes: '30', capacityPerSlot: '8' }))).status).toBe(409);
    expect((await t.db.prisma.openingRule.findUniqueOrThrow({ where: { id: evening.id } })).startMinute).toBe(17 * 60);
  });

  it('When two admins save overlapping rules at the same moment, then exactly one is stored', async () => {
    const counter = await createCounter(t.db);
    const { agent: other } = await signedInStaff(t, 'admin');
    const path = `/staff/schedule/counters/${counter.id}/rules`;
    const [first, second] = await Promise.all([
      submitForm(admin, `${path}/new`, path, rule({ label: 'A' })),
      submitForm(other, `${path}/new`, path, rule({ label: 'B', start: '09:20', end: '10:00' })),
    ]);
    expect([first.status, second.status].sort()).toEqual([303, 409]);
    expect(await t.db.prisma.openingRule.count({ where: { counterId: counter.id } })).toBe(1);
  });
});

describe('a rule label citizens see', () => {
  it('When a rule carries a label such as 3F, then the citizen day page shows it next to the time', async () => {
    const counter = await createCounter(t.db);
    let date = addDays(today, 3);
    while ([0, 6].includes(dayOfWeek(date))) date = addDays(date, 1);
    await save(counter.id, rule({ label: '3F', days: ['1', '2', '3', '4', '5'], start: '09:00', end: '09:30', slotMinutes: '30', capacityPerSlot: '4' }));
    await inTx(t.db, (tx) => regenerateHorizon(tx, today));
    const { noticeId, mmdd } = await createCardHolder(t.db);
    const agent = await loggedInCitizen(t.app, noticeId, mmdd);
    const page = await agent.get(`/booking/counters/${counter.id}/days/${date}`);
    expect(page.text).toContain('9:00〜9:30 3F');
  });
});
