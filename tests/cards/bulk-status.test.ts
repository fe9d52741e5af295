// Imported cards ready to book without one-by-one clicks (issue 12.7e): the import profile sets
// the starting status, and a bulk status change previews what moves and what is refused, then
// applies it in one transaction with history and audit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createStaff } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { commit, csvText, noticeIdFor, settled, uploadOk, type Agent } from './helpers.js';

let t: TestApp;
let clerk: Agent;
let clerkId: number;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'cards-bulk-')) });
  const staff = await createStaff(t.db, { role: 'staff' });
  clerkId = staff.user.id;
  clerk = await staffAgent(t.app, staff.user.loginId, staff.password);
});

const statusOf = async (id: number) => (await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id } })).status;

async function cardsAt(counterId: number, statuses: ('data_received' | 'card_arrived' | 'notice_sent' | 'handed_over' | 'booked')[]) {
  const ids: number[] = [];
  for (const status of statuses) {
    const { holder } = await createCardHolder(t.db, { counterId, status: status === 'booked' ? 'notice_sent' : status });
    if (status === 'booked') await t.db.prisma.cardHolder.update({ where: { id: holder.id }, data: { status: 'booked' } });
    ids.push(holder.id);
  }
  return ids;
}

describe('import profile starting status', () => {
  it('When the import profile says cards start as 通知書発送済, then imported cards are bookable at once and their history says so', async () => {
    const counter = await createCounter(t.db, { name: '本庁舎' });
    const admin = await createStaff(t.db, { role: 'admin' });
    const adminAgent = await staffAgent(t.app, admin.user.loginId, admin.password);
    const form = await adminAgent.get('/staff/cards/profiles/new');
    expect(form.text).toContain('取り込んだカードの状態');
    const columns = Object.fromEntries(
      ['noticeId', 'birthDate', 'name', 'nameKana', 'cardNumber', 'counterCode', 'storagePlace', 'noticeSentOn', 'noticeValidUntil'].map((field, index) => [
        `col_${field}`,
        String(index + 1),
      ]),
    );
    const saved = await adminAgent
      .post('/staff/cards/profiles/new')
      .type('form')
      .send({
        _csrf: csrfTokenFrom(form.text),
        name: '発送後に取込',
        format: 'csv',
        encoding: 'auto',
        hasHeader: 'yes',
        dateFormat: 'YYYYMMDD',
        startStatus: 'notice_sent',
        ...columns,
      });
    expect(saved.status).toBe(303);
    const profile = await t.db.prisma.importProfile.findUniqueOrThrow({ where: { name: '発送後に取込' } });
    expect(profile.startStatus).toBe('notice_sent');
    const file = csvText([[noticeIdFor(900), '19800401', '開始 一郎', 'カイシ', 'C1', counter.code, '箱1', '20261101', '20270531']]);
    const batchId = await uploadOk(clerk, Buffer.from(file), 'start.csv', { profileId: String(profile.id) });
    await settled(t.db, batchId);
    expect((await clerk.get(`/staff/cards/imports/${batchId}`)).text).toMatch(/新規登録するカードの状態<\/dt><dd>通知書発送済/);
    expect(await commit(clerk, t.db, batchId)).toMatchObject({ status: 'committed' });
    const holder = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(900) }, include: { statusChanges: true } });
    expect(holder.status).toBe('notice_sent');
    expect(holder.statusChanges).toMatchObject([{ fromStatus: null, toStatus: 'notice_sent', actor: `staff:${clerkId}` }]);
  });
});

describe('bulk status change', () => {
  it('When staff preview a bulk change by filter, then it shows per status what moves and what is refused and changes nothing; confirming moves exactly those in one go with history and one audit row', async () => {
    const counter = await createCounter(t.db, { name: '一括支所' });
    const [a, b, c, booked, done] = await cardsAt(counter.id, ['data_received', 'data_received', 'data_received', 'booked', 'handed_over']);
    const preview = await clerk.get(`/staff/cards/bulk-status?counterId=${counter.id}&to=card_arrived`);
    expect(preview.status).toBe(200);
    expect(preview.text).toMatch(/<tr><td>データ受領<\/td><td>3<\/td><td>「カード到着」に変更します<\/td><\/tr>/);
    expect(preview.text).toMatch(/<tr><td>予約済<\/td><td>1<\/td><td>予約中のため変更しません/);
    expect(preview.text).toMatch(/<tr><td>交付済<\/td><td>1<\/td><td>この状態からは変更できません/);
    expect(preview.text).toContain('3 件を「カード到着」に変更します。2 件は変更しません。');
    expect(await statusOf(a)).toBe('data_received');

    const response = await clerk
      .post('/staff/cards/bulk-status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(preview.text), counterId: String(counter.id), id: '', to: 'card_arrived', expected: '3', reason: '' });
    expect(response.status).toBe(303);
    expect((await clerk.get(response.headers.location)).text).toContain('3 件のカードの状態を変更しました');
    expect(await Promise.all([a, b, c, booked, done].map(statusOf))).toEqual(['card_arrived', 'card_arrived', 'card_arrived', 'booked', 'handed_over']);
    const history = await t.db.prisma.cardStatusChange.findMany({ where: { cardHolderId: { in: [a, b, c, booked, done] } } });
    expect(history).toHaveLength(3);
    expect(
      history.every((row) => row.fromStatus === 'data_received' && row.toStatus === 'card_arrived' && row.actor === `staff:${clerkId}` && row.reason === 'cards.reason.bulkChange'),
    ).toBe(true);
    const audit = await t.db.prisma.auditLog.findMany({ where: { action: 'cards.status.bulkChange', actorId: String(clerkId) } });
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({ to: 'card_arrived', count: 3 });
    expect((await clerk.get(`/staff/cards/${a}`)).text).toContain('<td>一括変更</td>');
  });

  it('When staff tick two cards on the list and change them to 通知書発送済, then only those two move', async () => {
    const counter = await createCounter(t.db, { name: 'チェック支所' });
    const [a, b, other] = await cardsAt(counter.id, ['card_arrived', 'card_arrived', 'card_arrived']);
    const list = await clerk.get(`/staff/cards?counterId=${counter.id}`);
    expect(list.text).toContain(`name="id" value="${a}" form="bulk-form"`);
    const preview = await clerk.get(`/staff/cards/bulk-status?id=${a}&id=${b}&to=notice_sent`);
    expect(preview.text).toContain('チェックした 2 件のカードが対象です');
    const response = await clerk
      .post('/staff/cards/bulk-status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(preview.text), id: `${a},${b}`, to: 'notice_sent', expected: '2', reason: '通知書を一斉発送' });
    expect(response.status).toBe(303);
    expect(await Promise.all([a, b, other].map(statusOf))).toEqual(['notice_sent', 'notice_sent', 'card_arrived']);
    expect((await t.db.prisma.cardStatusChange.findFirstOrThrow({ where: { cardHolderId: a } })).reason).toBe('通知書を一斉発送');
  });

  it('When the cards changed between the preview and the confirmation, then nothing is changed and the clerk is told to look again', async () => {
    const counter = await createCounter(t.db, { name: '競合支所' });
    const [a, b] = await cardsAt(counter.id, ['data_received', 'data_received']);
    const preview = await clerk.get(`/staff/cards/bulk-status?counterId=${counter.id}&to=card_arrived`);
    await t.db.prisma.cardHolder.update({ where: { id: b }, data: { status: 'cancelled' } }); // cancelled meanwhile: cannot move
    const response = await clerk
      .post('/staff/cards/bulk-status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(preview.text), counterId: String(counter.id), to: 'card_arrived', expected: '2' });
    expect(response.status).toBe(409);
    expect(response.text).toContain('何も変更していません(確認時 2 件、現在 1 件)');
    expect(await statusOf(a)).toBe('data_received');
  });

  it('When two clerks confirm the same bulk change at the same moment, then the cards move once: one succeeds and the other is told nothing changed', async () => {
    const counter = await createCounter(t.db, { name: '同時支所' });
    const ids = await cardsAt(counter.id, ['data_received', 'data_received', 'data_received']);
    const other = await createStaff(t.db, { role: 'staff' });
    const second = await staffAgent(t.app, other.user.loginId, other.password);
    const [first, next] = await Promise.all([clerk, second].map((agent) => agent.get(`/staff/cards/bulk-status?counterId=${counter.id}&to=card_arrived`)));
    const results = await Promise.all(
      [
        [clerk, first],
        [second, next],
      ].map(([agent, page]) =>
        (agent as Agent)
          .post('/staff/cards/bulk-status')
          .type('form')
          .send({ _csrf: csrfTokenFrom((page as { text: string }).text), counterId: String(counter.id), to: 'card_arrived', expected: '3' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    expect(await t.db.prisma.cardStatusChange.count({ where: { cardHolderId: { in: ids } } })).toBe(3);
  });

  it('When staff limited to one counter tick a card of another counter, or an operator tries, then that card is not changed', async () => {
    const mine = await createCounter(t.db, { name: '担当支所' });
    const theirs = await createCounter(t.db, { name: '他支所' });
    const [foreign] = await cardsAt(theirs.id, ['data_received']);
    const limited = await createStaff(t.db, { role: 'staff', counterIds: [mine.id] });
    const agent = await staffAgent(t.app, limited.user.loginId, limited.password);
    const preview = await agent.get(`/staff/cards/bulk-status?id=${foreign}&to=card_arrived`);
    expect(preview.text).not.toContain('件を「カード到着」に変更する');
    const response = await agent
      .post('/staff/cards/bulk-status')
      .type('form')
      .send({ _csrf: csrfTokenFrom(preview.text), id: String(foreign), to: 'card_arrived', expected: '1' });
    expect(response.status).toBe(409);
    const operator = await createStaff(t.db, { role: 'operator' });
    const opAgent = await staffAgent(t.app, operator.user.loginId, operator.password);
    expect((await opAgent.get(`/staff/cards/bulk-status?id=${foreign}&to=card_arrived`)).status).toBe(403);
    expect(await statusOf(foreign)).toBe('data_received');
  });
});
