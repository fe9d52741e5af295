import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { dateColumn } from '../../src/lib/jst.js';
import { birthKeyMatches } from '../../src/features/citizen/birth-key.js';
import { TEST_SECRETS, createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { binaryBody } from '../helpers/http.js';
import { staffAgent, submitForm } from '../helpers/staff.js';
import { type Agent } from './helpers.js';
import { createBooking } from '../helpers/bookings.js';

let t: TestApp;
let clerk: Agent;
let operator: Agent;
let clerkId: number;
let counterA: { id: number; code: string };
let counterB: { id: number; code: string };

beforeAll(async () => {
  t = await createTestApp();
  counterA = await createCounter(t.db, { name: '本庁舎' });
  counterB = await createCounter(t.db, { name: '南支所' });
  const staff = await createStaff(t.db, { role: 'staff' });
  clerkId = staff.user.id;
  clerk = await staffAgent(t.app, staff.user.loginId, staff.password);
  const op = await createStaff(t.db, { role: 'operator' });
  operator = await staffAgent(t.app, op.user.loginId, op.password);
});

const auditActions = async (action: string) => t.db.prisma.auditLog.findMany({ where: { action }, orderBy: { id: 'asc' } });

describe('card holders in the staff console', () => {
  it('When staff change a status along an allowed transition, then it moves, the history says who/from/to/why and the audit log has it', async () => {
    const { holder } = await createCardHolder(t.db, { counterId: counterA.id, status: 'data_received' });
    const response = await submitForm(clerk, `/staff/cards/${holder.id}`, `/staff/cards/${holder.id}/status`, { to: 'card_arrived', reason: '受領確認' });
    expect(response.status).toBe(303);
    const changes = await t.db.prisma.cardStatusChange.findMany({ where: { cardHolderId: holder.id } });
    expect(changes).toMatchObject([{ fromStatus: 'data_received', toStatus: 'card_arrived', reason: '受領確認', actor: `staff:${clerkId}` }]);
    const audit = await auditActions('cards.status.change');
    expect(audit.at(-1)).toMatchObject({ actorId: String(clerkId), targetId: String(holder.id), detail: { from: 'data_received', to: 'card_arrived' } });
    expect((await clerk.get(`/staff/cards/${holder.id}`)).text).toContain('受領確認');
  });

  it('When staff try a transition that is not allowed, then a Japanese message explains it and nothing changes', async () => {
    const { holder } = await createCardHolder(t.db, { counterId: counterA.id, status: 'handed_over' });
    const response = await submitForm(clerk, `/staff/cards/${holder.id}`, `/staff/cards/${holder.id}/status`, { to: 'notice_sent' });
    expect(response.status).toBe(409);
    expect(response.text).toContain('この状態には変更できません(「交付済」から「通知書発送済」への変更は認められていません)');
    expect((await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: holder.id } })).status).toBe('handed_over');
    expect(await t.db.prisma.cardStatusChange.count({ where: { cardHolderId: holder.id } })).toBe(0);
  });

  it('When an operator uses the console, then they may search and view a card holder but not export, import, pull lists or change status', async () => {
    const { holder, noticeId } = await createCardHolder(t.db, { counterId: counterA.id });
    const search = await operator.get(`/staff/cards?q=${noticeId}`);
    expect(search.status).toBe(200);
    expect(search.text).toContain(noticeId);
    expect(search.text).not.toContain('/staff/cards/export.csv');
    expect(search.text).not.toContain('print=1');
    expect((await operator.get('/staff/cards?print=1')).text).toContain('class="pager');
    expect((await operator.get(`/staff/cards/${holder.id}`)).status).toBe(200);
    for (const path of [
      '/staff/cards/export.csv',
      '/staff/cards/imports',
      '/staff/cards/pull-list',
      '/staff/cards/follow-up.csv?days=1',
      '/staff/cards/new',
      '/staff/cards/profiles',
    ]) {
      expect((await operator.get(path)).status, path).toBe(403);
    }
    const page = await operator.get(`/staff/cards/${holder.id}`);
    const token = page.text.match(/name="_csrf" value="([^"]+)"/)![1];
    expect((await operator.post(`/staff/cards/${holder.id}/status`).type('form').send({ _csrf: token, to: 'card_arrived' })).status).toBe(403);
    expect((await clerk.get('/staff/cards/profiles')).status).toBe(403); // layouts are for admins
  });

  it('When staff are limited to one counter, then a card kept at another counter is refused like an absent one', async () => {
    const limited = await createStaff(t.db, { role: 'staff', counterIds: [counterA.id] });
    const agent = await staffAgent(t.app, limited.user.loginId, limited.password);
    const { holder } = await createCardHolder(t.db, { counterId: counterB.id });
    const outside = await agent.get(`/staff/cards/${holder.id}`);
    const absent = await agent.get(`/staff/cards/2147483000`);
    expect(outside.status).toBe(404);
    expect(absent.status).toBe(404);
    expect(outside.text.replace(/<input[^>]*_csrf[^>]*>|content="[^"]*"|nonce="[^"]*"/g, '')).toBe(
      absent.text.replace(/<input[^>]*_csrf[^>]*>|content="[^"]*"|nonce="[^"]*"/g, ''),
    );
    expect((await agent.get(`/staff/cards?counterId=${counterB.id}`)).status).toBe(403);
    const list = await agent.get('/staff/cards');
    expect(list.text).not.toContain(holder.noticeId);
  });

  it('When staff filter by status and booking and export, then the CSV (UTF-8 with BOM) holds exactly those rows with formulas neutralised, and the export is audited', async () => {
    const counter = await createCounter(t.db, { name: '東支所' });
    const slot = await createSlot(t.db, { counterId: counter.id, date: '2026-12-01' });
    const booked = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    await t.db.prisma.cardHolder.update({ where: { id: booked.holder.id }, data: { status: 'booked', name: '=HYPERLINK("x")', storagePlace: '箱1-2' } });
    await createBooking(t.db, { slotId: slot.id, cardHolderId: booked.holder.id });
    const waiting = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    const list = await clerk.get(`/staff/cards?counterId=${counter.id}`);
    expect(list.text).toMatch(/予約済: <strong>1<\/strong>/);
    expect(list.text).toMatch(/通知書発送済: <strong>1<\/strong>/);
    const response = await clerk.get(`/staff/cards/export.csv?counterId=${counter.id}&booking=booked`).buffer(true).parse(binaryBody);
    expect(response.headers['content-type']).toContain('text/csv');
    const bytes = response.body as Buffer;
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parse(bytes.subarray(3).toString('utf8')) as string[][];
    expect(rows[0][0]).toBe('予約用ID');
    expect(rows.slice(1).map((row) => [row[0], row[1], row[4], row[6], row[9]])).toEqual([[booked.noticeId, `'=HYPERLINK("x")`, '予約済', '箱1-2', '2026-12-01 9:00']]);
    expect(bytes.toString('utf8')).not.toContain(waiting.noticeId);
    expect((await auditActions('cards.export')).at(-1)).toMatchObject({ actorId: String(clerkId), detail: { filter: { counterId: counter.id, booking: 'booked' } } });
    expect((await auditActions('cards.search')).length).toBeGreaterThan(0);
  });

  it('When notices went out N days ago and some holders have not booked, then the follow-up counts them per counter and its CSV lists only them', async () => {
    const counter = await createCounter(t.db, { name: '西支所' });
    const slot = await createSlot(t.db, { counterId: counter.id, date: '2026-12-02' });
    const sentOn = dateColumn(addDays(todayInJapan(), -40));
    const late = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    const recent = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    const bookedOne = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    await t.db.prisma.cardHolder.updateMany({ where: { id: { in: [late.holder.id, bookedOne.holder.id] } }, data: { noticeSentOn: sentOn } });
    await t.db.prisma.cardHolder.update({ where: { id: recent.holder.id }, data: { noticeSentOn: dateColumn(addDays(todayInJapan(), -3)) } });
    await createBooking(t.db, { slotId: slot.id, cardHolderId: bookedOne.holder.id });
    const page = await clerk.get('/staff/cards/follow-up?days=30');
    expect(page.text).toMatch(/西支所<\/td><td>1<\/td>/);
    const csv = await clerk.get(`/staff/cards/follow-up.csv?days=30&counterId=${counter.id}`).buffer(true).parse(binaryBody);
    const rows = parse((csv.body as Buffer).subarray(3).toString('utf8')) as string[][];
    expect(rows.slice(1).map((row) => row[0])).toEqual([late.noticeId]);
    expect((await auditActions('cards.followUp.export')).at(-1)).toMatchObject({ detail: { days: 30, counterId: counter.id } });
  });

  it('When staff quick-add card holders, then valid ones are created with history; a bad date shows beside its field and nothing is created', async () => {
    const bad = await submitForm(clerk, '/staff/cards/new', '/staff/cards/new', {
      noticeId_0: '１２３４５６７８９０１２３４５６',
      birthDate_0: '1985-04-01',
      name_0: '手入 一郎',
      nameKana_0: 'ﾃｲﾘ',
      counterCode_0: counterA.code,
      noticeId_1: '2234567890123456',
      birthDate_1: '1985-02-31',
      name_1: '手入 二郎',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="birthDate_1-error">生年月日が存在しない日付です/);
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: { in: ['1234567890123456', '2234567890123456'] } } })).toBe(0);
    const good = await submitForm(clerk, '/staff/cards/new', '/staff/cards/new', {
      noticeId_0: '１２３４５６７８９０１２３４５６',
      birthDate_0: '1985-04-01',
      name_0: '手入 一郎',
      nameKana_0: 'ﾃｲﾘ',
      counterCode_0: counterA.code,
      storagePlace_0: '箱7',
      noticeId_1: '2234567890123456',
      birthDate_1: '1985-02-28',
      name_1: '手入 二郎',
    });
    expect(good.status).toBe(303);
    const first = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: '1234567890123456' }, include: { statusChanges: true } });
    expect(first).toMatchObject({ name: '手入 一郎', nameKana: 'テイリ', counterId: counterA.id, storagePlace: '箱7', status: 'data_received' });
    expect(first.statusChanges).toMatchObject([{ fromStatus: null, toStatus: 'data_received' }]);
    expect(birthKeyMatches(TEST_SECRETS.birthDatePepper, first.noticeId, '0401', first.birthKey)).toBe(true);
    const again = await submitForm(clerk, '/staff/cards/new', '/staff/cards/new', { noticeId_0: '1234567890123456', birthDate_0: '1985-04-01' });
    expect(again.text).toContain('すでに登録されています');
    expect((await auditActions('cards.quickAdd')).at(-1)).toMatchObject({ actorId: String(clerkId) });
  });

  it('When a card holder is viewed, then the view is audited', async () => {
    const { holder } = await createCardHolder(t.db, { counterId: counterA.id });
    await operator.get(`/staff/cards/${holder.id}`);
    expect((await auditActions('cards.view')).at(-1)).toMatchObject({ targetType: 'card_holder', targetId: String(holder.id) });
  });
});
