// The procedures screens (issue 14): admins add, edit, retire and delete procedures, and choose on
// the counter form which ones a counter offers. Every change is audited; bad input changes nothing.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { signedInStaff, staffAgent, submitForm } from '../helpers/staff.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';

pinClock(WORKING_WEDNESDAY);

let t: TestApp;
let signedIn: Awaited<ReturnType<typeof signedInStaff>>;
beforeAll(async () => {
  t = await createTestApp();
  signedIn = await signedInStaff(t, 'admin');
});

const audits = (action: string, targetId: string) => t.db.prisma.auditLog.findMany({ where: { action, targetId, actorId: String(signedIn.user.id) } });
const newCode = () => `proc-${randomBytes(3).toString('hex')}`;

const procedureFields = (overrides: Record<string, string> = {}) => ({
  code: newCode(),
  name: '暗証番号の再設定・初期化',
  minutes: '２０',
  needsNoticeId: '',
  sameDayAllowed: 'yes',
  opensDaysAhead: '',
  documents: 'マイナンバーカード\n\n代理人の方は照会書兼回答書\n',
  perSlotLimit: '2',
  perDayLimit: '',
  ...overrides,
});

/** A procedure added through the form (needsNoticeId unchecked: the field is simply not sent). */
async function addProcedure(overrides: Record<string, string> = {}) {
  const { needsNoticeId: _unchecked, ...fields } = procedureFields(overrides);
  const response = await submitForm(signedIn.agent, '/staff/schedule/procedures/new', '/staff/schedule/procedures', fields);
  expect(response.status, response.text).toBe(303);
  return t.db.prisma.procedure.findUniqueOrThrow({ where: { code: fields.code } });
}

async function bookFor(procedureCode: string) {
  const counter = await createCounter(t.db);
  const slot = await createSlot(t.db, { counterId: counter.id, date: addDays(todayInJapan(), 7) });
  const { holder } = await createCardHolder(t.db, { counterId: counter.id });
  await t.db.prisma.booking.create({ data: { code: `P${slot.id}`, slotId: slot.id, cardHolderId: holder.id, channel: 'phone', createdBy: 'test', procedureCode } });
}

describe('procedures screens', () => {
  it('When an admin adds a procedure with full-width minutes, documents and a per-slot limit, then it is stored, listed and audited', async () => {
    const procedure = await addProcedure();
    expect(procedure).toMatchObject({
      name: '暗証番号の再設定・初期化',
      minutes: 20,
      needsNoticeId: false,
      needsStoredCard: false,
      sameDayAllowed: true,
      opensDaysAhead: null,
      documents: ['マイナンバーカード', '代理人の方は照会書兼回答書'],
      perSlotLimit: 2,
      perDayLimit: null,
      retiredAt: null,
    });
    const list = await signedIn.agent.get('/staff/schedule/procedures');
    expect(list.text).toContain('暗証番号の再設定・初期化');
    expect(list.text).toContain('1枠 2 / 1日 なし');
    expect(await audits('schedule.procedure.create', procedure.code)).toHaveLength(1);
  });

  it('When the procedure form has a bad code, zero minutes and a zero limit, then Japanese messages appear beside the fields and nothing is saved', async () => {
    const before = await t.db.prisma.procedure.count();
    const auditsBefore = await t.db.prisma.auditLog.count({ where: { action: 'schedule.procedure.create' } });
    const response = await submitForm(
      signedIn.agent,
      '/staff/schedule/procedures/new',
      '/staff/schedule/procedures',
      procedureFields({ code: 'PIN Reset', minutes: '0', perSlotLimit: '0' }),
    );
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="code-error">識別コードは半角英小文字/);
    expect(response.text).toMatch(/id="minutes-error">指定できる範囲の数値を入力してください。/);
    expect(response.text).toMatch(/id="perSlotLimit-error">指定できる範囲の数値を入力してください。/);
    expect(await t.db.prisma.procedure.count()).toBe(before);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'schedule.procedure.create' } })).toBe(auditsBefore);
  });

  it('When procedure fields carry a NUL, 2^31, a negative or an overlong value, or a field twice, then each is refused with a message (never a 500) and nothing is saved', async () => {
    const before = await t.db.prisma.procedure.count();
    const odd: Record<string, string>[] = [
      { name: '暗証番号\u0000再設定' },
      { documents: 'マイナンバーカード\u0000' },
      { minutes: '2147483648' },
      { perSlotLimit: '-1' },
      { perDayLimit: '99999999999999999999' },
      { opensDaysAhead: '2026-02-31' },
      { name: 'あ'.repeat(101) },
      { code: 'pin\u0000reset' },
    ];
    for (const overrides of odd) {
      const response = await submitForm(signedIn.agent, '/staff/schedule/procedures/new', '/staff/schedule/procedures', procedureFields(overrides));
      expect(response.status, JSON.stringify(overrides)).toBe(400);
      expect(response.text, JSON.stringify(overrides)).toMatch(/class="error-message"/);
    }
    const page = await signedIn.agent.get('/staff/schedule/procedures/new');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const doubled = await signedIn.agent.post('/staff/schedule/procedures').type('form').send(`_csrf=${token}&code=dup-a&code=dup-b&name=x&minutes=15&documents=`);
    expect(doubled.status).toBe(400);
    expect(await t.db.prisma.procedure.count()).toBe(before);
  });

  it('When ten admins add the same new code at the same moment, then exactly one procedure is saved and the others are told the code is taken', async () => {
    const code = newCode();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => submitForm(signedIn.agent, '/staff/schedule/procedures/new', '/staff/schedule/procedures', procedureFields({ code }))),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, ...Array(9).fill(409)]);
    expect(await t.db.prisma.procedure.count({ where: { code } })).toBe(1);
    expect(await audits('schedule.procedure.create', code)).toHaveLength(1);
  });

  it('When a procedure code is already used, then the message is beside the code and nothing is saved', async () => {
    const before = await t.db.prisma.procedure.count();
    const response = await submitForm(signedIn.agent, '/staff/schedule/procedures/new', '/staff/schedule/procedures', procedureFields({ code: 'pickup' }));
    expect(response.status).toBe(409);
    expect(response.text).toMatch(/id="code-error">この識別コードはすでに使われています。/);
    expect(await t.db.prisma.procedure.count()).toBe(before);
  });

  it('When an admin edits a procedure, then the new settings are stored, the code stays and the audit has before and after', async () => {
    const procedure = await addProcedure();
    const response = await submitForm(signedIn.agent, `/staff/schedule/procedures/${procedure.id}/edit`, `/staff/schedule/procedures/${procedure.id}`, {
      code: 'changed-code',
      name: '電子証明書の更新',
      minutes: '30',
      needsNoticeId: 'on',
      needsStoredCard: 'on',
      sameDayAllowed: '',
      opensDaysAhead: '14',
      documents: 'マイナンバーカード',
      perSlotLimit: '',
      perDayLimit: '15',
    });
    expect(response.status, response.text).toBe(303);
    const after = await t.db.prisma.procedure.findUniqueOrThrow({ where: { id: procedure.id } });
    expect(after).toMatchObject({
      code: procedure.code,
      name: '電子証明書の更新',
      minutes: 30,
      needsNoticeId: true,
      needsStoredCard: true,
      sameDayAllowed: null,
      opensDaysAhead: 14,
      documents: ['マイナンバーカード'],
      perSlotLimit: null,
      perDayLimit: 15,
    });
    const [entry] = await audits('schedule.procedure.update', procedure.code);
    expect(entry.detail).toMatchObject({ before: { name: '暗証番号の再設定・初期化', perSlotLimit: 2 }, after: { name: '電子証明書の更新', perDayLimit: 15 } });
  });

  it('When an edit has a blank name, then it is refused beside the field and the procedure is unchanged', async () => {
    const procedure = await addProcedure();
    const response = await submitForm(signedIn.agent, `/staff/schedule/procedures/${procedure.id}/edit`, `/staff/schedule/procedures/${procedure.id}`, {
      ...procedureFields({ name: '', minutes: '481' }),
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('id="name-error"');
    expect(response.text).toMatch(/id="minutes-error">指定できる範囲の数値を入力してください。/);
    expect(await t.db.prisma.procedure.findUniqueOrThrow({ where: { id: procedure.id } })).toEqual(procedure);
    expect(await audits('schedule.procedure.update', procedure.code)).toHaveLength(0);
  });

  it('When a procedure with an open booking is retired, then it takes no new bookings but the booking stays, and deleting it is refused', async () => {
    const procedure = await addProcedure();
    await bookFor(procedure.code);
    const retire = await submitForm(signedIn.agent, `/staff/schedule/procedures/${procedure.id}/edit`, `/staff/schedule/procedures/${procedure.id}/retire`, {});
    expect(retire.status, retire.text).toBe(303);
    expect((await t.db.prisma.procedure.findUniqueOrThrow({ where: { id: procedure.id } })).retiredAt).not.toBeNull();
    expect(await audits('schedule.procedure.retire', procedure.code)).toHaveLength(1);
    expect(await t.db.prisma.booking.count({ where: { procedureCode: procedure.code, status: 'active' } })).toBe(1);

    const remove = await submitForm(signedIn.agent, `/staff/schedule/procedures/${procedure.id}/edit`, `/staff/schedule/procedures/${procedure.id}/delete`, {});
    expect(remove.status).toBe(409);
    expect(remove.text).toMatch(/id="refusal">この手続きには受付中の予約が1件あります。削除はできません。/);
    expect(await t.db.prisma.procedure.count({ where: { id: procedure.id } })).toBe(1);
    expect(await audits('schedule.procedure.delete', procedure.code)).toHaveLength(0);

    const reinstate = await submitForm(signedIn.agent, `/staff/schedule/procedures/${procedure.id}/edit`, `/staff/schedule/procedures/${procedure.id}/reinstate`, {});
    expect(reinstate.status).toBe(303);
    expect((await t.db.prisma.procedure.findUniqueOrThrow({ where: { id: procedure.id } })).retiredAt).toBeNull();
  });

  it('When a procedure nobody booked is deleted, then it and its offers go and the deletion is audited', async () => {
    const procedure = await addProcedure();
    const counter = await createCounter(t.db);
    await t.db.prisma.counterProcedure.create({ data: { counterId: counter.id, procedureCode: procedure.code } });
    const response = await submitForm(signedIn.agent, `/staff/schedule/procedures/${procedure.id}/edit`, `/staff/schedule/procedures/${procedure.id}/delete`, {});
    expect(response.status, response.text).toBe(303);
    expect(await t.db.prisma.procedure.count({ where: { id: procedure.id } })).toBe(0);
    expect(await t.db.prisma.counterProcedure.findMany({ where: { counterId: counter.id } })).toEqual([{ counterId: counter.id, procedureCode: 'pickup' }]);
    expect(await audits('schedule.procedure.delete', procedure.code)).toHaveLength(1);
  });

  it('When an admin tries to retire the pickup, then it is refused with a message and stays active', async () => {
    const pickup = await t.db.prisma.procedure.findUniqueOrThrow({ where: { code: 'pickup' } });
    expect((await signedIn.agent.get(`/staff/schedule/procedures/${pickup.id}/edit`)).text).not.toContain('/retire');
    const response = await submitForm(signedIn.agent, `/staff/schedule/procedures/${pickup.id}/edit`, `/staff/schedule/procedures/${pickup.id}/retire`, {});
    expect(response.status).toBe(409);
    expect(response.text).toContain('マイナンバーカードの受け取りは、受付終了や削除ができません。');
    expect((await t.db.prisma.procedure.findUniqueOrThrow({ where: { code: 'pickup' } })).retiredAt).toBeNull();
  });

  it('When a clerk (staff role) posts to the procedures screens, then they get 403 and nothing changes; the list is readable', async () => {
    const procedure = await addProcedure();
    const { user, password } = await createStaff(t.db, { role: 'staff' });
    const clerk = await staffAgent(t.app, user.loginId, password);
    expect((await clerk.get('/staff/schedule/procedures')).status).toBe(200);
    expect((await clerk.get('/staff/schedule/procedures/new')).status).toBe(403);
    const before = await t.db.prisma.procedure.count();
    expect((await submitForm(clerk, '/staff/schedule/procedures', '/staff/schedule/procedures', procedureFields())).status).toBe(403);
    expect((await submitForm(clerk, '/staff/schedule/procedures', `/staff/schedule/procedures/${procedure.id}/retire`, {})).status).toBe(403);
    expect(await t.db.prisma.procedure.count()).toBe(before);
    expect((await t.db.prisma.procedure.findUniqueOrThrow({ where: { id: procedure.id } })).retiredAt).toBeNull();
  });
});

describe('the counter form', () => {
  const offered = async (counterId: number) =>
    (await t.db.prisma.counterProcedure.findMany({ where: { counterId }, orderBy: { procedureCode: 'asc' } })).map((row) => row.procedureCode);
  const counterFields = (code: string, procedures: string[]) => ({ code, name: '北区役所 市民課', address: '', accessNotes: '', windows: '3', purposes: '', procedures });

  it('When a new counter is added, then the pickup is ticked by default and the ticked procedures are offered', async () => {
    const pinReset = await addProcedure();
    const page = await signedIn.agent.get('/staff/schedule/counters/new');
    expect(page.text).toMatch(/value="pickup" checked/);
    expect(page.text).toContain('暗証番号の再設定・初期化');
    const code = newCode();
    const response = await submitForm(signedIn.agent, '/staff/schedule/counters/new', '/staff/schedule/counters', counterFields(code, ['pickup', pinReset.code]));
    expect(response.status, response.text).toBe(303);
    const counter = await t.db.prisma.counter.findUniqueOrThrow({ where: { code } });
    expect(await offered(counter.id)).toEqual(['pickup', pinReset.code].sort());
  });

  it('When an admin changes the procedures a counter offers, then the offer follows and the audit shows before and after', async () => {
    const pinReset = await addProcedure();
    const counter = await createCounter(t.db);
    const edit = await signedIn.agent.get(`/staff/schedule/counters/${counter.id}/edit`);
    expect(edit.text).toMatch(/value="pickup" checked/);
    const response = await submitForm(
      signedIn.agent,
      `/staff/schedule/counters/${counter.id}/edit`,
      `/staff/schedule/counters/${counter.id}`,
      counterFields(counter.code, [pinReset.code]),
    );
    expect(response.status, response.text).toBe(303);
    expect(await offered(counter.id)).toEqual([pinReset.code]);
    const [entry] = await t.db.prisma.auditLog.findMany({ where: { action: 'schedule.counter.update', targetId: String(counter.id) } });
    expect(entry.detail).toMatchObject({ before: { procedures: ['pickup'] }, after: { procedures: [pinReset.code] } });
  });

  it('When every procedure is unticked, then the counter form says to choose one and the offer is unchanged', async () => {
    const counter = await createCounter(t.db);
    const { procedures: _none, ...fields } = counterFields(counter.code, []);
    const response = await submitForm(signedIn.agent, `/staff/schedule/counters/${counter.id}/edit`, `/staff/schedule/counters/${counter.id}`, { ...fields, name: '変更しない' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="procedures-error">受け付ける手続きを1つ以上選んでください。/);
    expect(await offered(counter.id)).toEqual(['pickup']);
    expect((await t.db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).name).toBe(counter.name);
  });

  it('When a counter form names a procedure that does not exist, then it is refused and nothing changes', async () => {
    const counter = await createCounter(t.db);
    const response = await submitForm(
      signedIn.agent,
      `/staff/schedule/counters/${counter.id}/edit`,
      `/staff/schedule/counters/${counter.id}`,
      counterFields(counter.code, ['pickup', 'no-such-thing']),
    );
    expect(response.status).toBe(400);
    expect(response.text).toContain('選ばれた手続きが見つかりません。');
    expect(await offered(counter.id)).toEqual(['pickup']);
  });
});
