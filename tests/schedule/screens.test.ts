import { beforeAll, describe, expect, it } from 'vitest';
import { effectivePolicy } from '../../src/features/schedule/policy.js';
import { addDays, dateColumn, dayOfWeek, jstInstant, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createStaff } from '../helpers/factories.js';
import { binaryBody } from '../helpers/http.js';
import { signedInStaff, staffAgent, submitForm } from '../helpers/staff.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY); // what these tests see must not depend on the day the suite runs

let t: TestApp;
let admin: Awaited<ReturnType<typeof staffAgent>>;
let adminId: number;
beforeAll(async () => {
  t = await createTestApp();
  ({
    agent: admin,
    user: { id: adminId },
  } = await signedInStaff(t, 'admin'));
});

async function agentFor(role: 'staff' | 'operator', counterIds?: number[]) {
  const { user, password } = await createStaff(t.db, { role, counterIds });
  return staffAgent(t.app, user.loginId, password);
}

const audits = (action: string) => t.db.prisma.auditLog.findMany({ where: { action, actorId: String(adminId) } });
const today = todayInJapan();
/** The next weekday at least `ahead` days from today (so tests do not depend on today's weekday). */
function nextWeekday(ahead: number): string {
  let date = addDays(today, ahead);
  while ([0, 6].includes(dayOfWeek(date))) date = addDays(date, 1);
  return date;
}

const ruleFields = (overrides: Record<string, string | string[]> = {}) => ({
  label: '平日日中',
  days: ['1', '2', '3', '4', '5'],
  start: '09:00',
  end: '12:00',
  breakStart: '',
  breakEnd: '',
  slotMinutes: '30',
  capacityMode: 'window',
  capacityPerSlot: '',
  peoplePerWindow: '2',
  reservedCapacity: '1',
  validFrom: today,
  validTo: '',
  ...overrides,
});

/** One person booked (booking row + booked count) into the first slot of a weekday `ahead` days on. */
async function bookOne(counterId: number, ahead: number) {
  const slot = await t.db.prisma.slot.findFirstOrThrow({ where: { counterId, date: dateColumn(nextWeekday(ahead)) } });
  const { holder } = await createCardHolder(t.db, { counterId });
  await t.db.prisma.booking.create({ data: { code: `B${slot.id}`, slotId: slot.id, cardHolderId: holder.id, channel: 'phone', createdBy: 'test' } });
  await t.db.pool.query('UPDATE slots SET booked = 1 WHERE id = $1', [slot.id]);
  return slot;
}

async function counterWithRule() {
  const counter = await createCounter(t.db, { windows: 3 });
  const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}/rules/new`, `/staff/schedule/counters/${counter.id}/rules`, ruleFields());
  expect(response.status, response.text).toBe(303);
  return counter;
}

describe('roles', () => {
  it('When an operator opens the schedule, then the lists show but editing screens and posts are refused', async () => {
    const operator = await agentFor('operator');
    expect((await operator.get('/staff/schedule')).status).toBe(200);
    expect((await operator.get('/staff/schedule/counters/new')).status).toBe(403);
    expect((await operator.get('/staff/schedule/policy')).status).toBe(403);
    const before = await t.db.prisma.counter.count();
    const post = await submitForm(operator, '/staff/schedule', '/staff/schedule/counters', { code: 'op-made', name: '勝手な窓口', windows: '1' });
    expect(post.status).toBe(403);
    expect(await t.db.prisma.counter.count()).toBe(before);
  });

  it('When nobody is logged in, then the schedule screens send to the log-in page', async () => {
    const response = await (await import('supertest')).default(t.app).get('/staff/schedule/report');
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^\/staff\/login/);
  });

  it("When staff limited to one counter open another counter's month view, then it is refused", async () => {
    const own = await createCounter(t.db);
    const other = await createCounter(t.db);
    const staff = await agentFor('staff', [own.id]);
    expect((await staff.get(`/staff/schedule/counters/${own.id}/month`)).status).toBe(200);
    expect((await staff.get(`/staff/schedule/counters/${other.id}/month`)).status).toBe(403);
  });
});

describe('counters', () => {
  it('When an admin adds a counter with full-width digits, then it is saved, listed in order and audited', async () => {
    const response = await submitForm(admin, '/staff/schedule/counters/new', '/staff/schedule/counters', {
      code: 'east-ward',
      name: '東区役所',
      address: '東区1-1',
      accessNotes: 'バス停すぐ',
      windows: '４',
      purposes: '交付、暗証番号再設定',
      procedures: 'pickup',
    });
    expect(response.status, response.text).toBe(303);
    const counter = await t.db.prisma.counter.findUniqueOrThrow({ where: { code: 'east-ward' } });
    expect(counter).toMatchObject({ windows: 4, purposes: ['交付', '暗証番号再設定'] });
    expect((await admin.get('/staff/schedule')).text).toContain('東区役所');
    expect((await audits('schedule.counter.create')).some((entry) => entry.targetId === String(counter.id))).toBe(true);
  });

  it('When the counter form has no name and zero windows, then the messages appear beside the fields and nothing is saved', async () => {
    const before = await t.db.prisma.counter.count();
    const response = await submitForm(admin, '/staff/schedule/counters/new', '/staff/schedule/counters', { code: 'Bad Code', name: '', windows: '0' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('識別コードは半角英小文字');
    expect(response.text).toContain('id="name-error"');
    expect(response.text).toContain('指定できる範囲の数値を入力してください。');
    expect(await t.db.prisma.counter.count()).toBe(before);
  });

  it('When a second counter gets a code already in use, then the message is beside the code and nothing is saved', async () => {
    const existing = await createCounter(t.db);
    const before = await t.db.prisma.counter.count();
    const response = await submitForm(admin, '/staff/schedule/counters/new', '/staff/schedule/counters', { code: existing.code, name: '重複', windows: '1', procedures: 'pickup' });
    expect(response.status).toBe(409);
    expect(response.text).toMatch(/id="code-error">この識別コードはすでに使われています。/);
    expect(await t.db.prisma.counter.count()).toBe(before);
  });

  it('When a counter is moved up, then it changes places with the one above', async () => {
    const first = await createCounter(t.db);
    const second = await createCounter(t.db);
    await t.db.prisma.counter.update({ where: { id: first.id }, data: { displayOrder: 900 } });
    await t.db.prisma.counter.update({ where: { id: second.id }, data: { displayOrder: 901 } });
    const response = await submitForm(admin, '/staff/schedule', `/staff/schedule/counters/${second.id}/move`, { direction: 'up' });
    expect(response.status).toBe(303);
    const [a, b] = await Promise.all([first.id, second.id].map((id) => t.db.prisma.counter.findUniqueOrThrow({ where: { id } })));
    expect(b.displayOrder).toBeLessThan(a.displayOrder);
    expect((await audits('schedule.counter.move')).length).toBeGreaterThan(0);
  });

  it('When a counter with a future booking is retired, then it is refused with a clear message and stays active', async () => {
    const counter = await counterWithRule();
    await bookOne(counter.id, 3);
    const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}/edit`, `/staff/schedule/counters/${counter.id}/retire`, {});
    expect(response.status).toBe(409);
    expect(response.text).toMatch(/id="refusal">この交付場所には本日以降の予約が1件あります。予約を他の交付場所・日時へ変更するか取り消してから、廃止してください。/);
    expect((await t.db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).retiredAt).toBeNull();
  });

  it('When a counter without bookings is retired, then its future slots go and the retirement is audited', async () => {
    const counter = await counterWithRule();
    expect(await t.db.prisma.slot.count({ where: { counterId: counter.id } })).toBeGreaterThan(0);
    const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}/edit`, `/staff/schedule/counters/${counter.id}/retire`, {});
    expect(response.status).toBe(303);
    expect((await t.db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).retiredAt).not.toBeNull();
    expect(await t.db.prisma.slot.count({ where: { counterId: counter.id } })).toBe(0);
    expect((await audits('schedule.counter.retire')).some((entry) => entry.targetId === String(counter.id))).toBe(true);
  });
});

describe('opening rules', () => {
  it('When an admin saves a rule with capacity per window, then slots of windows x people appear at once and the change is audited', async () => {
    const counter = await counterWithRule();
    const date = nextWeekday(2);
    const slots = await t.db.prisma.slot.findMany({ where: { counterId: counter.id, date: dateColumn(date) }, orderBy: { startsAt: 'asc' } });
    expect(slots.map((slot) => [slot.startsAt.toISOString(), slot.capacity, slot.reservedCapacity])).toEqual(
      [540, 570, 600, 630, 660, 690].map((minute) => [jstInstant(date, minute).toISOString(), 6, 1]),
    );
    const rule = await t.db.prisma.openingRule.findFirstOrThrow({ where: { counterId: counter.id } });
    const [entry] = (await audits('schedule.rule.create')).filter((row) => row.targetId === String(rule.id));
    expect(entry.detail).toMatchObject({ counterId: counter.id, label: '平日日中' });
  });

  it('When the rule form has the end before the start, then the message is beside the field and nothing is saved', async () => {
    const counter = await createCounter(t.db);
    const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}/rules/new`, `/staff/schedule/counters/${counter.id}/rules`, ruleFields({ end: '08:00' }));
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="end-error">終了時刻は開始時刻より後にしてください。/);
    expect(await t.db.prisma.openingRule.count({ where: { counterId: counter.id } })).toBe(0);
  });

  it('When the preview button is used, then the month is shown for the typed values and nothing is saved', async () => {
    const counter = await createCounter(t.db, { windows: 2 });
    const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}/rules/new`, `/staff/schedule/counters/${counter.id}/rules`, {
      ...ruleFields({ days: ['1'], validFrom: '2027-02-01' }),
      month: '2027-02',
      action: 'preview',
    });
    expect(response.status).toBe(200);
    // February 2027: Mondays 1, 8, 15, 22 -> 4 days x 6 slots x (2 windows x 2 people).
    expect(response.text).toContain('開庁日 4日、予約枠 24枠、定員 合計 96人');
    expect(await t.db.prisma.openingRule.count({ where: { counterId: counter.id } })).toBe(0);
    const partial = await admin
      .get(`/staff/schedule/counters/${counter.id}/rules/preview`)
      .query({ ...ruleFields({ days: ['1', '3'], validFrom: '2027-02-01' }), month: '2027-02' });
    expect(partial.text).toContain('開庁日 8日');
    expect(partial.text).not.toContain('<html');
  });

  it('When a rule is edited to fewer days, then the unbooked slots of the dropped day go', async () => {
    const counter = await counterWithRule();
    const rule = await t.db.prisma.openingRule.findFirstOrThrow({ where: { counterId: counter.id } });
    const response = await submitForm(
      admin,
      `/staff/schedule/counters/${counter.id}/rules/${rule.id}/edit`,
      `/staff/schedule/counters/${counter.id}/rules/${rule.id}`,
      ruleFields({ days: ['1', '2', '3', '4'] }),
    );
    expect(response.status).toBe(303);
    const fridays = await t.db.pool.query(`SELECT count(*)::int AS n FROM slots WHERE counter_id = $1 AND extract(dow FROM date) = 5`, [counter.id]);
    expect(fridays.rows[0].n).toBe(0);
    expect((await audits('schedule.rule.update')).some((entry) => entry.targetId === String(rule.id))).toBe(true);
  });
});

describe('closures, overrides and policy', () => {
  it('When an all-counter closure "the Sunday after the third Saturday" is added, then it is listed, shown in the calendar and audited', async () => {
    const response = await submitForm(admin, '/staff/schedule/closures', '/staff/schedule/closures', {
      kind: 'nth_weekday',
      label: 'システムメンテナンス',
      counterId: '',
      nth: '3',
      weekday: '6',
      offsetDays: '1',
    });
    expect(response.status, response.text).toBe(303);
    const page = await admin.get('/staff/schedule/closures?month=2027-01');
    expect(page.text).toContain('毎月 第3土曜日の1日後');
    expect(page.text).toMatch(/<span class="day-number">17<\/span>\s*<span class="day-state">休み<\/span>\s*<span class="day-line">システムメンテナンス<\/span>/);
    expect((await audits('schedule.closure.create')).length).toBeGreaterThan(0);
  });

  it('When a closed-day override is added for a booked-free weekday, then that day has no slots', async () => {
    const counter = await counterWithRule();
    const date = nextWeekday(5);
    const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}`, `/staff/schedule/counters/${counter.id}/overrides`, {
      kind: 'closed',
      dateFrom: date,
      dateTo: '',
      label: '臨時休業',
    });
    expect(response.status, response.text).toBe(303);
    expect(await t.db.prisma.slot.count({ where: { counterId: counter.id, date: dateColumn(date) } })).toBe(0);
    expect((await audits('schedule.override.create')).some((entry) => entry.targetId === String(counter.id))).toBe(true);
  });

  it('When an extra opening with its own hours is added on a Saturday, then that day gets exactly those slots', async () => {
    const counter = await counterWithRule();
    let saturday = addDays(today, 3);
    while (dayOfWeek(saturday) !== 6) saturday = addDays(saturday, 1);
    const fields = {
      kind: 'open',
      dateFrom: saturday,
      dateTo: '',
      label: '土曜臨時開庁',
      start: '10:00',
      end: '12:00',
      breakStart: '',
      breakEnd: '',
      slotMinutes: '60',
      capacityMode: 'slot',
      capacityPerSlot: '5',
      peoplePerWindow: '',
      reservedCapacity: '0',
    };
    const response = await submitForm(admin, `/staff/schedule/counters/${counter.id}`, `/staff/schedule/counters/${counter.id}/overrides`, fields);
    expect(response.status, response.text).toBe(303);
    const slots = await t.db.prisma.slot.findMany({ where: { counterId: counter.id, date: dateColumn(saturday) }, orderBy: { startsAt: 'asc' } });
    expect(slots.map((slot) => [slot.startsAt.toISOString(), slot.capacity])).toEqual([
      [jstInstant(saturday, 600).toISOString(), 5],
      [jstInstant(saturday, 660).toISOString(), 5],
    ]);
  });

  it('When a counter overrides only how far ahead booking opens, then it inherits the rest from the global policy', async () => {
    const counter = await createCounter(t.db);
    const response = await submitForm(admin, '/staff/schedule/policy', `/staff/schedule/policy/${counter.id}`, {
      opensDaysAhead: '90',
      closesDaysBefore: '',
      closesAt: '',
      sameDayAllowed: '',
      sameDayUntilMinutes: '',
      maxPeoplePerBooking: '',
    });
    expect(response.status).toBe(303);
    const global = await effectivePolicy(t.db.prisma, -1);
    expect(await effectivePolicy(t.db.prisma, counter.id)).toEqual({ ...global, opensDaysAhead: 90 });
    expect((await audits('schedule.policy.update')).some((entry) => entry.targetId === String(counter.id))).toBe(true);
  });

  it('When the global policy is saved with a blank field, then it is refused; with all fields, it is stored and audited', async () => {
    const fields = { opensDaysAhead: '45', closesDaysBefore: '2', closesAt: '12:00', sameDayAllowed: 'no', sameDayUntilMinutes: '60', maxPeoplePerBooking: '4' };
    const bad = await submitForm(admin, '/staff/schedule/policy', '/staff/schedule/policy', { ...fields, opensDaysAhead: '' });
    expect(bad.status).toBe(400);
    const good = await submitForm(admin, '/staff/schedule/policy', '/staff/schedule/policy', fields);
    expect(good.status).toBe(303);
    expect(await t.db.prisma.bookingPolicy.findFirstOrThrow({ where: { counterId: null } })).toMatchObject({
      opensDaysAhead: 45,
      closesDaysBefore: 2,
      closesAtMinute: 720,
      maxPeoplePerBooking: 4,
    });
    expect((await audits('schedule.policy.update')).length).toBeGreaterThan(0);
  });
});

describe('capacity views', () => {
  it('When the month view is opened, then each day shows its slots, capacity, booked and free places', async () => {
    const counter = await counterWithRule();
    const date = nextWeekday(2);
    const slot = await t.db.prisma.slot.findFirstOrThrow({ where: { counterId: counter.id, date: dateColumn(date) } });
    await t.db.pool.query('UPDATE slots SET booked = 2 WHERE id = $1', [slot.id]);
    const staff = await agentFor('staff');
    const response = await staff.get(`/staff/schedule/counters/${counter.id}/month?month=${date.slice(0, 7)}`);
    expect(response.status).toBe(200);
    const row = response.text.split('<tr').find((part) => part.includes(`${Number(date.slice(8))}日(`))!;
    expect(row.match(/<td class="num">(\d+)<\/td>/g)!.map((cell) => Number(cell.replace(/\D/g, '')))).toEqual([6, 36, 6, 2, 34]);
  });

  it('When the month view shows a month beyond the booking horizon, then open days say their slots are not generated yet', async () => {
    const counter = await createCounter(t.db);
    await submitForm(admin, `/staff/schedule/counters/${counter.id}/rules/new`, `/staff/schedule/counters/${counter.id}/rules`, ruleFields({ validFrom: '2030-01-01' }));
    const response = await admin.get(`/staff/schedule/counters/${counter.id}/month?month=2030-01`);
    expect(response.text).toContain('開庁予定(予約枠は受付開始前に作成)');
    expect(response.text).toContain('開庁日 0日、予約枠 0枠');
  });

  it('When the capacity report is downloaded as CSV, then Excel gets a BOM, Japanese headers and one row per counter and month', async () => {
    const counter = await counterWithRule();
    const month = today.slice(0, 7);
    const staff = await agentFor('staff');
    const response = await staff.get('/staff/schedule/report').query({ from: month, to: month, format: 'csv' }).buffer(true).parse(binaryBody);
    expect(response.headers['content-type']).toContain('text/csv');
    const text = (response.body as Buffer).toString('utf8');
    expect(text.startsWith('\uFEFF識別コード,交付場所,年月,開庁日数')).toBe(true);
    expect(text).toContain(`${counter.code},テスト交付窓口,${month},`);
    const operator = await agentFor('operator');
    expect((await operator.get('/staff/schedule/report')).status).toBe(403);
  });

  it('When a booked slot loses its rule, then the conflict is listed for staff and the regenerate button is audited', async () => {
    const counter = await counterWithRule();
    const slot = await bookOne(counter.id, 4);
    const rule = await t.db.prisma.openingRule.findFirstOrThrow({ where: { counterId: counter.id } });
    await submitForm(admin, `/staff/schedule/counters/${counter.id}`, `/staff/schedule/counters/${counter.id}/rules/${rule.id}/delete`, {});
    const staff = await agentFor('staff');
    const page = await staff.get('/staff/schedule/conflicts');
    expect(page.text).toContain('ルール上はなくなった枠に予約あり');
    expect(await t.db.prisma.slot.findUnique({ where: { id: slot.id } })).toMatchObject({ booked: 1, capacity: 1 });
    const regenerate = await submitForm(admin, '/staff/schedule/conflicts', '/staff/schedule/conflicts/regenerate', {});
    expect(regenerate.status).toBe(303);
    expect((await audits('schedule.slots.regenerate')).length).toBe(1);
  });
});
