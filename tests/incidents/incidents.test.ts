// The incident log (issue 15.4): record (also from an alert), link and unlink alerts, resolve
// (one of two at once wins), the list's filters and CSV, hostile input, roles and counter scope.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { resolveIncident } from '../../src/features/incidents/service.js';
import type { StaffPrincipal } from '../../src/policies/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { binaryBody, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { postForm, type Agent } from '../console/helpers.js';

const { today, now } = pinClock(WORKING_WEDNESDAY);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

async function signedIn(role: StaffPrincipal['role'], counterIds?: number[]) {
  const { user, password } = await createStaff(t.db, { role, counterIds });
  return { user, agent: await staffAgent(t.app, user.loginId, password) };
}

const newAlert = (summary: string) => t.db.prisma.alert.create({ data: { kind: 'job_failed', subjectKey: `job-${Math.random()}`, summary } });

const fields = (overrides: Record<string, string | string[]> = {}) => ({
  kind: 'system',
  title: 'メール送信の停止',
  description: '夜間のリマインダーが送られなかった',
  impact: '市民 120 人に前日のお知らせが届かなかった',
  response: '',
  startDate: today,
  startTime: '08:30',
  endDate: '',
  endTime: '',
  ...overrides,
});

async function record(agent: Agent, overrides: Record<string, string | string[]> = {}) {
  const response = await postForm(agent, '/staff/incidents/new', '/staff/incidents/new', fields(overrides) as Record<string, string>);
  expect(response.status, response.text).toBe(303);
  return Number(/\/staff\/incidents\/(\d+)/.exec(response.headers.location)![1]);
}

const auditOf = (incidentId: number) => t.db.prisma.auditLog.findMany({ where: { targetType: 'incident', targetId: String(incidentId) }, orderBy: { id: 'asc' } });

describe('recording, linking and resolving', () => {
  it('When an admin records an incident from an alert, links another, unlinks it and resolves, then the page shows each step and the audit log has each change', async () => {
    const { agent } = await signedIn('admin');
    const first = await newAlert('リマインダー送信の失敗');
    const second = await newAlert('送信待ちの滞留');
    const alertsPage = await agent.get('/staff/alerts');
    expect(alertsPage.text).toContain(`href="/staff/incidents/new?alert=${first.id}"`);
    const form = await agent.get(`/staff/incidents/new?alert=${first.id}`);
    expect(form.text).toContain('警報「リマインダー送信の失敗」から記録します。');

    const id = await record(agent, { alertId: String(first.id) });
    let page = await agent.get(`/staff/incidents/${id}?done=recorded`);
    expect(page.text).toContain('障害を記録しました。');
    expect(page.text).toContain(`data-alert="${first.id}"`);
    expect(page.text).toContain('data-status="open"');

    expect((await postForm(agent, `/staff/incidents/${id}`, `/staff/incidents/${id}/alerts`, { alertId: String(second.id) })).status).toBe(303);
    expect((await t.db.prisma.incidentAlert.findMany({ where: { incidentId: id } })).map((row) => row.alertId).sort()).toEqual([first.id, second.id].sort());
    expect((await postForm(agent, `/staff/incidents/${id}`, `/staff/incidents/${id}/alerts/${first.id}/unlink`, {})).status).toBe(303);
    expect((await t.db.prisma.incidentAlert.findMany({ where: { incidentId: id } })).map((row) => row.alertId)).toEqual([second.id]);

    const resolved = await postForm(agent, `/staff/incidents/${id}`, `/staff/incidents/${id}/resolve`, { endDate: today, endTime: '09:45', response: '送信し直した' });
    expect(resolved.headers.location).toBe(`/staff/incidents/${id}?done=resolved`);
    page = await agent.get(resolved.headers.location);
    expect(page.text).toContain('data-status="resolved"');
    expect(page.text).toContain('送信し直した');
    expect(page.text).not.toContain(`/staff/incidents/${id}/resolve`);
    const row = await t.db.prisma.incident.findUniqueOrThrow({ where: { id } });
    expect(row.endedAt?.toISOString()).toBe(new Date(`${today}T09:45:00+09:00`).toISOString());
    expect(row.resolvedAt?.toISOString()).toBe(now.toISOString()); // the app's clock, not the machine's
    expect((await auditOf(id)).map((entry) => entry.action)).toEqual(['incidents.record', 'incidents.linkAlert', 'incidents.unlinkAlert', 'incidents.resolve']);
  });

  it('When two people resolve the same incident at the same moment, then one wins, the other is told it was already resolved, and one resolution is audited', async () => {
    const { agent, user } = await signedIn('admin');
    const other = await createStaff(t.db, { role: 'staff' });
    const id = await record(agent);
    const resolveAs = (person: { id: number }, principal: StaffPrincipal, text: string) =>
      transaction(t.db, { type: 'staff', id: String(person.id) }, (tx) => resolveIncident(tx, principal, id, { endedAt: new Date(`${today}T10:00:00+09:00`), response: text }));
    const outcomes = await Promise.all([resolveAs(user, { ...user, counterIds: null }, 'A の対応'), resolveAs(other.user, { ...other.user, counterIds: null }, 'B の対応')]);
    expect(outcomes.sort()).toEqual(['already', 'resolved']);
    const row = await t.db.prisma.incident.findUniqueOrThrow({ where: { id } });
    expect([`staff:${user.id}`, `staff:${other.user.id}`]).toContain(row.resolvedBy);
    expect(row.response).toBe(row.resolvedBy === `staff:${user.id}` ? 'A の対応' : 'B の対応');
    expect((await auditOf(id)).filter((entry) => entry.action === 'incidents.resolve')).toHaveLength(1);
  });

  it('When the same alert is linked five times at once, then unlinked five times at once, then linked and unlinked at once, then each ends with one link or none and one audit entry per change', async () => {
    const { agent } = await signedIn('admin');
    const id = await record(agent);
    const alert = await newAlert('同時に紐づける警報');
    const page = `/staff/incidents/${id}`;
    const token = csrfTokenFrom((await agent.get(page)).text);
    const link = () =>
      agent
        .post(`${page}/alerts`)
        .type('form')
        .send({ _csrf: token, alertId: String(alert.id) });
    const unlink = () => agent.post(`${page}/alerts/${alert.id}/unlink`).type('form').send({ _csrf: token });
    const links = () => t.db.prisma.incidentAlert.count({ where: { incidentId: id, alertId: alert.id } });
    const changes = async () => (await auditOf(id)).filter((entry) => entry.action !== 'incidents.record').map((entry) => entry.action);

    expect((await Promise.all(Array.from({ length: 5 }, link))).map((response) => response.status)).toEqual([303, 303, 303, 303, 303]);
    expect(await links()).toBe(1);
    expect(await changes()).toEqual(['incidents.linkAlert']);

    expect((await Promise.all(Array.from({ length: 5 }, unlink))).map((response) => response.status)).toEqual([303, 303, 303, 303, 303]);
    expect(await links()).toBe(0);
    expect(await changes()).toEqual(['incidents.linkAlert', 'incidents.unlinkAlert']);

    const both = await Promise.all([link(), unlink()]);
    expect(both.map((response) => response.status)).toEqual([303, 303]);
    const after = await changes();
    // The unlink either came first (found nothing, audited nothing) or after the link (removed it).
    expect(await links()).toBe(after.at(-1) === 'incidents.linkAlert' ? 1 : 0);
    expect([
      ['incidents.linkAlert', 'incidents.unlinkAlert', 'incidents.linkAlert'],
      ['incidents.linkAlert', 'incidents.unlinkAlert', 'incidents.linkAlert', 'incidents.unlinkAlert'],
    ]).toContainEqual(after);
  });

  it('When the list is filtered and saved as CSV, then open incidents come first and the CSV holds the filtered rows with Japanese labels, formulas neutralised', async () => {
    const { agent } = await signedIn('admin');
    const counter = await createCounter(t.db, { name: '北支所' });
    const old = await record(agent, { title: '=HYPERLINK("x")', startDate: '2027-01-05' });
    await postForm(agent, `/staff/incidents/${old}`, `/staff/incidents/${old}/resolve`, { endDate: '2027-01-05', endTime: '12:00' });
    const open = await record(agent, { kind: 'counter', counterId: String(counter.id), title: '発券機の紙詰まり', startDate: '2027-01-04' });
    const list = await agent.get('/staff/incidents?from=2027-01-04&to=2027-01-05');
    expect(list.status).toBe(200);
    expect(list.text.indexOf(`data-incident="${open}"`)).toBeLessThan(list.text.indexOf(`data-incident="${old}"`));
    const onlyCounter = await agent.get(`/staff/incidents?kind=counter&counter=${counter.id}`);
    expect(onlyCounter.text).toContain(`data-incident="${open}"`);
    expect(onlyCounter.text).not.toContain(`data-incident="${old}"`);
    const csv = await agent.get('/staff/incidents.csv?from=2027-01-04&to=2027-01-05').buffer(true).parse(binaryBody);
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.startsWith('\uFEFF番号,種類,交付場所,件名')).toBe(true);
    expect(text).toContain(`${open},窓口,北支所,発券機の紙詰まり`);
    expect(text).toContain(`${old},システム,,"'=HYPERLINK(""x"")"`);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(3);
    for (const line of text.split('\r\n').slice(1).filter(Boolean)) {
      expect(line).toMatch(/,(対応中|解決済み),/); // the status as its label
      expect(line).not.toMatch(/,(open|resolved|system|counter|staff:\d+|system:[a-z-]+),/);
    }
  });
});

describe('hostile input', () => {
  const cases: [string, Record<string, string | string[]>, string][] = [
    ['a NUL in the title', { title: 'a\u0000b' }, '件名は改行や制御文字を含まない 200 文字以内'],
    ['a huge counter id', { kind: 'counter', counterId: '99999999999999999999' }, '交付場所を選んでください'],
    ['a counter that does not exist', { kind: 'counter', counterId: '999999' }, '交付場所を選んでください'],
    ['an impossible date', { startDate: '2027-02-31' }, '実在する日で入力してください'],
    ['an end before the start', { endDate: today, endTime: '08:00' }, '終了日時は発生日時より後にしてください'],
    ['an end date without a time', { endDate: today }, '終了は日付と時刻の両方を入力してください'],
    ['a doubled title', { title: ['一つ目', '二つ目'] }, '件名は改行や制御文字を含まない'],
    ['a doubled kind', { kind: ['system', 'counter'] }, '障害の種類を選んでください'],
    ['an unknown kind', { kind: 'fire' }, '障害の種類を選んでください'],
    ['a system incident naming a counter', { counterId: '1' }, 'システムの障害には交付場所を選びません'],
    ['an alert that does not exist', { alertId: '999999999999' }, 'その警報は見つかりません'],
    ['a huge alert id', { alertId: '9'.repeat(40) }, 'その警報は見つかりません'],
    ['a title of 201 characters', { title: 'あ'.repeat(201) }, '200 文字以内'],
  ];
  it.each(cases)('When an incident is posted with %s, then a Japanese 400 and nothing is recorded', async (_name, overrides, message) => {
    const { agent } = await signedIn('admin');
    const before = await t.db.prisma.incident.count();
    const response = await postForm(agent, '/staff/incidents/new', '/staff/incidents/new', fields(overrides) as Record<string, string>);
    expect(response.status).toBe(400);
    expect(response.text).toContain(message);
    expect(await t.db.prisma.incident.count()).toBe(before);
  });

  it('When resolve, link and the pages get odd values, then 400 or 404 with Japanese and the incident is unchanged', async () => {
    const { agent } = await signedIn('admin');
    const id = await record(agent);
    const page = `/staff/incidents/${id}`;
    const early = await postForm(agent, page, `${page}/resolve`, { endDate: today, endTime: '07:00' });
    expect(early.status).toBe(400);
    expect(early.text).toContain('終了日時は発生日時より後にしてください');
    const impossible = await postForm(agent, page, `${page}/resolve`, { endDate: '2027-13-01', endTime: '25:00' });
    expect(impossible.status).toBe(400);
    const doubled = await postForm(agent, page, `${page}/resolve`, { endDate: [today, today], endTime: '10:00' } as unknown as Record<string, string>);
    expect(doubled.status).toBe(400);
    const badAlert = await postForm(agent, page, `${page}/alerts`, { alertId: 'x\u0000' });
    expect(badAlert.status).toBe(400);
    expect(badAlert.text).toContain('その警報は見つかりません');
    expect((await postForm(agent, page, `${page}/alerts`, { alertId: '123456789012' })).status).toBe(400);
    expect((await agent.get('/staff/incidents/99999999999')).status).toBe(404);
    expect((await agent.get('/staff/incidents/1%00')).status).toBe(404);
    expect((await postForm(agent, page, '/staff/incidents/99999999999/resolve', { endDate: today, endTime: '10:00' })).status).toBe(404);
    const badFilter = await agent.get('/staff/incidents?from=2027-02-31&status=gone');
    expect(badFilter.status).toBe(400);
    expect(badFilter.text).toContain('絞り込みの条件が正しくありません');
    const row = await t.db.prisma.incident.findUniqueOrThrow({ where: { id } });
    expect([row.status, row.endedAt, row.resolvedBy]).toEqual(['open', null, null]);
    expect(await t.db.prisma.incidentAlert.count({ where: { incidentId: id } })).toBe(0);
  });
});

describe('roles and counter scope', () => {
  it('When an operator opens the log, then they read it but cannot record, resolve or link', async () => {
    const { agent: admin } = await signedIn('admin');
    const id = await record(admin);
    const { agent } = await signedIn('operator');
    expect((await agent.get('/staff/incidents')).status).toBe(200);
    const page = await agent.get(`/staff/incidents/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(`/staff/incidents/${id}/resolve`);
    expect((await agent.get('/staff/incidents/new')).status).toBe(403);
    expect((await postForm(agent, `/staff/incidents/${id}`, `/staff/incidents/${id}/resolve`, { endDate: today, endTime: '10:00' })).status).toBe(403);
  });

  it('When a clerk (not an admin) records an incident, then they cannot link alerts, which only admins see', async () => {
    const alert = await newAlert('ディスクの空き不足');
    const { agent } = await signedIn('staff');
    const before = await t.db.prisma.incident.count();
    expect((await postForm(agent, '/staff/incidents/new', '/staff/incidents/new', fields({ alertId: String(alert.id) }) as Record<string, string>)).status).toBe(403);
    expect(await t.db.prisma.incident.count()).toBe(before);
    const id = await record(agent);
    expect((await postForm(agent, `/staff/incidents/${id}`, `/staff/incidents/${id}/alerts`, { alertId: String(alert.id) })).status).toBe(403);
  });

  it("When staff of counter A use the log, then they see A's and system incidents, not B's, and cannot record or resolve at B", async () => {
    const [a, b] = [await createCounter(t.db, { name: '窓口A' }), await createCounter(t.db, { name: '窓口B' })];
    const { agent: admin } = await signedIn('admin');
    const atA = await record(admin, { kind: 'counter', counterId: String(a.id), title: 'A の障害' });
    const atB = await record(admin, { kind: 'counter', counterId: String(b.id), title: 'B の障害' });
    const system = await record(admin, { title: '全体の障害' });
    const { agent } = await signedIn('staff', [a.id]);
    const list = await agent.get('/staff/incidents');
    expect(list.text).toContain(`data-incident="${atA}"`);
    expect(list.text).toContain(`data-incident="${system}"`);
    expect(list.text).not.toContain(`data-incident="${atB}"`);
    expect((await agent.get(`/staff/incidents/${atB}`)).status).toBe(404);
    expect((await agent.get('/staff/incidents.csv')).text).not.toContain('B の障害');
    expect((await postForm(agent, '/staff/incidents/new', '/staff/incidents/new', fields({ kind: 'counter', counterId: String(b.id) }) as Record<string, string>)).status).toBe(
      403,
    );
    expect((await postForm(agent, '/staff/incidents', `/staff/incidents/${atB}/resolve`, { endDate: today, endTime: '10:00' })).status).toBe(404);
    expect((await t.db.prisma.incident.findUniqueOrThrow({ where: { id: atB } })).status).toBe('open');
    expect(await record(agent, { kind: 'counter', counterId: String(a.id) })).toBeGreaterThan(0);
    const home = await agent.get('/staff');
    const openInScope = await t.db.prisma.incident.count({ where: { status: 'open', OR: [{ counterId: null }, { counterId: a.id }] } });
    expect(home.text).toMatch(new RegExp(`href="/staff/incidents\\?status=open">対応中の障害 <strong[^>]*>${openInScope} 件`));
  });
});
