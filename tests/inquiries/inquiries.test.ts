// The inquiry and complaint log (issue 15.3): operators and staff record calls and counter
// inquiries, hand one over to city staff, who answer it; the log follows the card pages' counter
// scope and audit; its counts equal its rows; bad input is refused in Japanese and changes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { binaryBody } from '../helpers/http.js';
import { createCounter } from '../helpers/factories.js';
import { holderAt, postForm, staffOf, type Agent } from '../console/helpers.js';
import { unansweredEscalationCount } from '../../src/features/inquiries/inquiries.js';
import { purgeSettledInquiries } from '../../src/features/retention/records.js';
import { jstInstant } from '../../src/lib/jst.js';
import { inTx } from '../helpers/tx.js';
import { STAFF_ACTOR } from '../helpers/booking.js';
import type { StaffPrincipal } from '../../src/policies/index.js';

const { today, now } = pinClock('2027-02-10T10:00:00+09:00');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

const inquiry = (fields: Record<string, string | number> = {}) => ({
  receivedDate: today,
  receivedTime: '09:30',
  channel: 'phone',
  categoryCode: 'booking_method',
  body: '予約の変更方法を知りたい',
  ...fields,
});

const record = (agent: Agent, fields: Record<string, string | number> = {}) => postForm(agent, '/staff/inquiries/new', '/staff/inquiries/new', inquiry(fields));
const idOf = (location: string) => Number(/\/staff\/inquiries\/(\d+)/.exec(location)![1]);
const count = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM inquiries'))[0].n;
const rowOf = async (id: number) => (await t.db.query<Record<string, unknown>>('SELECT * FROM inquiries WHERE id = $1', [id]))[0];
const principal = (id: number, role: StaffPrincipal['role'], counterIds: number[] | null): StaffPrincipal => ({
  id,
  loginId: 'x',
  displayName: 'x',
  role,
  mustChangePassword: false,
  counterIds,
});

describe('recording, handing over and answering', () => {
  it('When an operator records a call about a card holder and hands it over, then a clerk answers it, the statuses follow and each step is audited', async () => {
    const counter = await createCounter(t.db);
    const { holder } = await holderAt(t, counter.id);
    const operator = await staffOf(t, 'operator');
    const clerk = await staffOf(t, 'staff');

    const form = await operator.agent.get(`/staff/inquiries/new?holder=${holder.id}`);
    expect(form.text).toContain(`name="cardHolderId" value="${holder.id}"`);
    const recorded = await record(operator.agent, { cardHolderId: holder.id, categoryCode: 'complaint', body: '窓口の待ち時間が長い' });
    expect(recorded.status).toBe(303);
    const id = idOf(recorded.headers.location);
    expect(await rowOf(id)).toMatchObject({
      status: 'open',
      counter_id: counter.id,
      card_holder_id: holder.id,
      handled_by: `staff:${operator.user.id}`,
      category_code: 'complaint',
    });

    const escalated = await postForm(operator.agent, `/staff/inquiries/${id}`, `/staff/inquiries/${id}/escalate`, { escalatedTo: '市民課 交付係' });
    expect(escalated.status).toBe(303);
    expect(await rowOf(id)).toMatchObject({ status: 'escalated', escalated_to: '市民課 交付係' });
    expect(((await rowOf(id)).escalated_at as Date).toISOString()).toBe(now.toISOString()); // the app's clock

    // The operator may not answer: city staff do.
    const refused = await postForm(operator.agent, `/staff/inquiries/${id}`, `/staff/inquiries/${id}/answer`, { response: '回答' });
    expect(refused.status).toBe(403);
    expect((await operator.agent.get(`/staff/inquiries/${id}`)).text).not.toContain('回答を登録する');

    const answered = await postForm(clerk.agent, `/staff/inquiries/${id}`, `/staff/inquiries/${id}/answer`, { response: '窓口を増やします。' });
    expect(answered.status).toBe(303);
    expect(await rowOf(id)).toMatchObject({ status: 'answered', response: '窓口を増やします。', responded_by: `staff:${clerk.user.id}` });
    expect(((await rowOf(id)).responded_at as Date).toISOString()).toBe(now.toISOString());
    const page = await clerk.agent.get(`/staff/inquiries/${id}`);
    expect(page.text).toContain('回答済み');
    expect(page.text).toContain('窓口を増やします。');
    expect(page.text).not.toContain('complaint');

    expect((await postForm(clerk.agent, `/staff/inquiries/${id}`, `/staff/inquiries/${id}/close`, {})).status).toBe(303);
    expect((await rowOf(id)).status).toBe('closed');

    const actions = await t.db.query<{ action: string; actor_id: string }>(`SELECT action, actor_id FROM audit_logs WHERE target_type = 'inquiry' AND target_id = $1 ORDER BY id`, [
      String(id),
    ]);
    expect(actions.map((row) => row.action)).toEqual(expect.arrayContaining(['inquiries.record', 'inquiries.escalate', 'inquiries.view', 'inquiries.answer', 'inquiries.close']));
    expect(actions.filter((row) => row.action === 'inquiries.view').map((row) => row.actor_id)).toContain(String(clerk.user.id));
  });

  it('When an inquiry is recorded with a note of whom to hand it to, then it is escalated at once and counted for the staff home until answered', async () => {
    const counter = await createCounter(t.db);
    const clerk = await staffOf(t, 'staff', [counter.id]);
    const elsewhere = await createCounter(t.db);
    await record((await staffOf(t, 'admin')).agent, { counterId: elsewhere.id, escalatedTo: '他の交付場所の係' });
    const allEscalated = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inquiries WHERE status = 'escalated'`))[0].n;
    const adminCount = await unansweredEscalationCount(t.db, principal(1, 'admin', null));
    expect(adminCount).toBe(await allEscalated());
    expect(adminCount).toBeGreaterThanOrEqual(1);
    const ofClerk = () => unansweredEscalationCount(t.db, principal(clerk.user.id, 'staff', [counter.id]));
    const unassigned = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inquiries WHERE status = 'escalated' AND counter_id IS NULL`))[0].n;
    const before = await ofClerk();
    const recorded = await record(clerk.agent, { counterId: counter.id, escalatedTo: '課長' });
    const id = idOf(recorded.headers.location);
    expect((await rowOf(id)).status).toBe('escalated');
    const after = await ofClerk();
    expect(after).toBe((await unassigned()) + 1);
    expect(before).toBe(await unassigned());
    await postForm(clerk.agent, `/staff/inquiries/${id}`, `/staff/inquiries/${id}/answer`, { response: '済み' });
    expect(await ofClerk()).toBe(await unassigned());
  });

  it('When two clerks answer the same escalation at once, then one answer is kept and the other is told in Japanese that it was answered meanwhile', async () => {
    const counter = await createCounter(t.db);
    const [first, second] = [await staffOf(t, 'staff'), await staffOf(t, 'staff')];
    const id = idOf((await record(first.agent, { counterId: counter.id, escalatedTo: '市民課' })).headers.location);
    const page = (agent: Agent) => agent.get(`/staff/inquiries/${id}`);
    const [pageA, pageB] = [await page(first.agent), await page(second.agent)];
    const token = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const answer = (agent: Agent, html: string, response: string) =>
      agent
        .post(`/staff/inquiries/${id}/answer`)
        .type('form')
        .send({ _csrf: token(html), response });
    const results = await Promise.all([answer(first.agent, pageA.text, '回答A'), answer(second.agent, pageB.text, '回答B')]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.text).toContain('ほかの職員がすでに対応しました');
    const row = await rowOf(id);
    expect(['回答A', '回答B']).toContain(row.response);
    expect((await t.db.query(`SELECT 1 FROM audit_logs WHERE action = 'inquiries.answer' AND target_id = $1`, [String(id)])).length).toBe(1);
  });

  it('When one clerk hands an open inquiry over while another closes it, and when two close it, at the same moment, then one step wins and the other is a Japanese 409', async () => {
    const counter = await createCounter(t.db);
    const [first, second] = [await staffOf(t, 'staff'), await staffOf(t, 'staff')];
    const token = async (agent: Agent, id: number) => /name="_csrf" value="([^"]+)"/.exec((await agent.get(`/staff/inquiries/${id}`)).text)![1];
    const step = async (agent: Agent, id: number, name: string) => {
      const csrf = await token(agent, id);
      return () => agent.post(`/staff/inquiries/${id}/${name}`).type('form').send({ _csrf: csrf, escalatedTo: '市民課' });
    };
    const audits = async (id: number) =>
      (
        await t.db.query<{ action: string }>(
          `SELECT action FROM audit_logs WHERE target_type = 'inquiry' AND target_id = $1 AND action IN ('inquiries.escalate', 'inquiries.close')`,
          [String(id)],
        )
      ).map((row) => row.action);

    const raced = idOf((await record(first.agent, { counterId: counter.id })).headers.location);
    const [escalate, close] = [await step(first.agent, raced, 'escalate'), await step(second.agent, raced, 'close')];
    const results = await Promise.all([escalate(), close()]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    expect(results.find((r) => r.status === 409)!.text).toContain('ほかの職員がすでに対応しました');
    const status = (await rowOf(raced)).status;
    expect(await audits(raced)).toEqual([status === 'escalated' ? 'inquiries.escalate' : 'inquiries.close']);
    expect(['escalated', 'closed']).toContain(status);

    const twice = idOf((await record(first.agent, { counterId: counter.id })).headers.location);
    const closes = await Promise.all([(await step(first.agent, twice, 'close'))(), (await step(second.agent, twice, 'close'))()]);
    expect(closes.map((r) => r.status).sort()).toEqual([303, 409]);
    expect((await rowOf(twice)).status).toBe('closed');
    expect(await audits(twice)).toEqual(['inquiries.close']);
  });

  it('When the same open inquiry is handed over five times at once, then it is handed over once, the other four are a Japanese 409, and one step is audited', async () => {
    const counter = await createCounter(t.db);
    const clerks = [await staffOf(t, 'staff'), await staffOf(t, 'staff'), await staffOf(t, 'staff'), await staffOf(t, 'staff'), await staffOf(t, 'staff')];
    const id = idOf((await record(clerks[0].agent, { counterId: counter.id })).headers.location);
    const forms = await Promise.all(
      clerks.map(async ({ agent }, index) => {
        const csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get(`/staff/inquiries/${id}`)).text)![1];
        return () =>
          agent
            .post(`/staff/inquiries/${id}/escalate`)
            .type('form')
            .send({ _csrf: csrf, escalatedTo: `係${index}` });
      }),
    );
    const results = await Promise.all(forms.map((send) => send()));
    expect(results.map((r) => r.status).sort()).toEqual([303, 409, 409, 409, 409]);
    for (const refused of results.filter((r) => r.status === 409)) expect(refused.text).toContain('ほかの職員がすでに対応しました');
    const row = await rowOf(id);
    expect(row.status).toBe('escalated');
    const winner = clerks[results.findIndex((r) => r.status === 303)];
    expect([row.escalated_to, row.escalated_by]).toEqual([`係${clerks.indexOf(winner)}`, `staff:${winner.user.id}`]);
    expect((await t.db.query(`SELECT 1 FROM audit_logs WHERE action = 'inquiries.escalate' AND target_id = $1`, [String(id)])).length).toBe(1);
  });
});

describe('counter scope', () => {
  it('When a clerk of counter A looks for an inquiry about a holder of counter B, then it is not in the list, the search, the CSV or at its address, and they cannot record one about that holder', async () => {
    const [a, b] = [await createCounter(t.db), await createCounter(t.db)];
    const { holder } = await holderAt(t, b.id);
    const clerkB = await staffOf(t, 'staff', [b.id]);
    const clerkA = await staffOf(t, 'staff', [a.id]);
    const id = idOf((await record(clerkB.agent, { cardHolderId: holder.id, body: '秘密の相談 B窓口' })).headers.location);

    expect((await clerkA.agent.get('/staff/inquiries')).text).not.toContain('秘密の相談');
    expect((await clerkA.agent.get('/staff/inquiries?q=秘密')).text).not.toContain('秘密の相談');
    const csv = await clerkA.agent.get('/staff/inquiries/export.csv?q=秘密');
    expect(csv.status).toBe(200);
    expect(csv.text).not.toContain('秘密の相談');
    expect((await clerkA.agent.get(`/staff/inquiries/${id}`)).status).toBe(404);
    const answer = await postForm(clerkA.agent, '/staff/inquiries', `/staff/inquiries/${id}/escalate`, { escalatedTo: 'x' });
    expect(answer.status).toBe(404);
    expect((await rowOf(id)).status).toBe('open');

    const before = await count();
    const foreign = await record(clerkA.agent, { cardHolderId: holder.id });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toContain('担当外の交付場所の人です');
    expect(foreign.text).toContain('予約の変更方法を知りたい'); // what the operator typed is kept
    expect(await count()).toBe(before);

    expect((await clerkB.agent.get('/staff/inquiries?q=秘密')).text).toContain('秘密の相談');
    const search = await t.db.query(`SELECT 1 FROM audit_logs WHERE action = 'inquiries.search' AND actor_id = $1`, [String(clerkA.user.id)]);
    expect(search.length).toBeGreaterThan(0);
  });

  it('When an inquiry was handled by the system and answered by a staff member since removed, then its page and the CSV name them in Japanese, never by their internal key', async () => {
    const clerk = await staffOf(t, 'staff');
    const [{ id }] = await t.db.query<{ id: number }>(
      `INSERT INTO inquiries (received_at, channel, category_code, body, handled_by, status, escalated_to, escalated_by, escalated_at, response, responded_by, responded_at)
       VALUES ($1, 'mail', 'booking_method', '引き継いだ問い合わせ', 'system:handover', 'answered', '市民課', 'system:handover', $1, '回答済み', 'staff:999999', $1) RETURNING id`,
      [now],
    );
    const page = await clerk.agent.get(`/staff/inquiries/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('システム');
    expect(page.text).toContain('職員(削除済み)');
    const csv = await clerk.agent.get(`/staff/inquiries/export.csv?q=${encodeURIComponent('引き継いだ問い合わせ')}`);
    expect(csv.text).toContain('システム');
    for (const text of [page.text, csv.text]) expect(text).not.toMatch(/system:handover|staff:999999/);
  });

  it('When a clerk exports the log, then the CSV is Excel-safe (BOM, CRLF, formulas neutralised, or Shift_JIS) and the export is audited', async () => {
    const counter = await createCounter(t.db);
    const clerk = await staffOf(t, 'staff', [counter.id]);
    await record(clerk.agent, { counterId: counter.id, body: '=HYPERLINK("http://example.invalid")', receivedDate: '2027-02-09', channel: 'counter' });
    const utf8 = await clerk.agent.get('/staff/inquiries/export.csv?from=2027-02-09&to=2027-02-09').buffer(true).parse(binaryBody);
    const bytes = utf8.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('受付日時,受付方法,分類,交付場所,関係する人(交付通知書番号・予約番号),内容,対応者,状態,引継ぎ先,回答,回答日時');
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://example.invalid"")"`);
    expect(lines[1]).toContain(',窓口,予約方法,');
    expect(lines[1]).toContain(',受付済み,'); // the status as its label, not 'open'
    expect(lines[1]).not.toMatch(/,(open|escalated|answered|closed|counter|phone|staff:\d+),/);
    expect(lines).toHaveLength(3);
    const sjis = await clerk.agent.get('/staff/inquiries/export.csv?from=2027-02-09&to=2027-02-09&encoding=sjis').buffer(true).parse(binaryBody);
    expect(iconv.decode(sjis.body as Buffer, 'CP932').split('\r\n')[0]).toBe(lines[0]);
    const audit = await t.db.query(`SELECT 1 FROM audit_logs WHERE action = 'inquiries.export' AND actor_id = $1`, [String(clerk.user.id)]);
    expect(audit.length).toBe(2);
    const operator = await staffOf(t, 'operator');
    expect((await operator.agent.get('/staff/inquiries/export.csv')).status).toBe(403);
  });
});

describe('counts per category', () => {
  it('When inquiries are recorded on several days, then the counts per day and per month equal the rows, within the user scope, and a chart with its table is drawn', async () => {
    const counter = await createCounter(t.db);
    const clerk = await staffOf(t, 'staff', [counter.id]);
    const days: [string, string, string][] = [
      ['2026-11-30', '23:59', 'complaint'],
      ['2026-12-01', '00:00', 'complaint'],
      ['2026-12-01', '13:00', 'complaint'],
      ['2026-12-01', '13:00', 'what_to_bring'],
      ['2026-12-31', '23:59', 'other'],
    ];
    for (const [receivedDate, receivedTime, categoryCode] of days) await record(clerk.agent, { counterId: counter.id, receivedDate, receivedTime, categoryCode });
    const page = await clerk.agent.get('/staff/inquiries/counts?month=2026-12');
    expect(page.status).toBe(200);
    const row = (period: string) => {
      const match = new RegExp(`<tr><th scope="row">${period}</th>(.*?)</tr>`).exec(page.text);
      return [...match![1].matchAll(/<td>(\d+)<\/td>/g)].map((cell) => Number(cell[1]));
    };
    // Categories in order: 予約方法, 持ち物, 苦情, 日時変更, その他, then the total.
    expect(row('2026-12-01')).toEqual([0, 1, 2, 0, 0, 3]);
    expect(row('2026-12-31')).toEqual([0, 0, 0, 0, 1, 1]);
    expect(row('2026-12')).toEqual([0, 1, 2, 0, 1, 4]);
    expect(row('2026-11')).toEqual([0, 0, 1, 0, 0, 1]);
    expect(page.text).toContain('id="inquiries-per-day"');
    expect(page.text).toContain('2026年12月の問い合わせ件数');

    const other = await staffOf(t, 'staff', [(await createCounter(t.db)).id]);
    const theirs = await other.agent.get('/staff/inquiries/counts?month=2026-12');
    expect(/<tr><th scope="row">2026-12-01<\/th>(.*?)<\/tr>/.exec(theirs.text)![1]).not.toMatch(/<td>[1-9]/);
    expect((await clerk.agent.get('/staff/inquiries/counts?month=2026-13')).status).toBe(400);

    // The same tables as CSV for Excel: BOM and CRLF (or Shift_JIS), the same counts, the day table's total last.
    const download = async (path: string) => (await clerk.agent.get(path).buffer(true).parse(binaryBody)).body as Buffer;
    const dayCsv = await download('/staff/inquiries/counts/days.csv?month=2026-12');
    expect([...dayCsv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const dayLines = dayCsv.subarray(3).toString('utf8').split('\r\n');
    expect(dayLines[0]).toBe('期間,予約方法,持ち物,苦情,日時変更,その他,合計');
    expect(dayLines).toContain('2026-12-01,0,1,2,0,0,3');
    expect(dayLines.filter((line) => line !== '').at(-1)).toBe('合計,0,1,2,0,1,4');
    const monthLines = iconv.decode(await download('/staff/inquiries/counts/months.csv?month=2026-12&encoding=sjis'), 'cp932').split('\r\n');
    expect(monthLines).toContain('2026-11,0,0,1,0,0,1');
    expect(monthLines).toContain('2026-12,0,1,2,0,1,4');
    const unknown = await clerk.agent.get('/staff/inquiries/counts/people.csv?month=2026-12');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('その表はありません。');
    for (const month of ['2026-02-31', '2026-12%00', '2147483648', '99999999999999999999', '2026-12&month=2026-11']) {
      const refused = await clerk.agent.get(`/staff/inquiries/counts/days.csv?month=${month}`);
      expect(refused.status, month).toBe(400);
      expect(refused.text).toContain('月を 2027-02 のように正しく指定してください。');
    }
    expect((await (await staffOf(t, 'operator')).agent.get('/staff/inquiries/counts/days.csv?month=2026-12')).status).toBe(403);
  });
});

describe('bad input', () => {
  it.each([
    ['a NUL byte in the text', { body: '内容\u0000' }, '制御文字'],
    ['a text of 2001 characters', { body: 'あ'.repeat(2001) }, '2000 文字'],
    ['a huge holder id', { cardHolderId: '99999999999999999999' }, '関係する人が見つからない'],
    ['a holder id that does not exist', { cardHolderId: '2147483647' }, '関係する人が見つからない'],
    ['an impossible date', { receivedDate: '2027-02-30' }, '正しい日付'],
    ['an unknown category', { categoryCode: 'no_such' }, '分類を一覧から選んで'],
    ['an unknown channel', { channel: 'fax' }, '受付方法を選んで'],
    ['a counter not theirs', { counterId: '2147483646' }, '交付場所を一覧から選んで'],
  ])('When %s is posted, then the answer is a Japanese 400 and nothing is recorded', async (_name, fields, message) => {
    const clerk = await staffOf(t, 'staff', [(await createCounter(t.db)).id]);
    const before = await count();
    const response = await record(clerk.agent, fields as Record<string, string>);
    expect(response.status).toBe(400);
    expect(response.text).toContain(message);
    expect(await count()).toBe(before);
  });

  it('When a field is sent twice, or a search is malformed, then the answer is a Japanese 400 and nothing changes', async () => {
    const clerk = await staffOf(t, 'staff');
    const page = await clerk.agent.get('/staff/inquiries/new');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const before = await count();
    const doubled = await clerk.agent
      .post('/staff/inquiries/new')
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&receivedDate=${today}&receivedTime=09:00&channel=phone&categoryCode=other&body=a&body=b`);
    expect(doubled.status).toBe(400);
    expect(await count()).toBe(before);
    for (const query of ['q=%00', `q=${'a'.repeat(101)}`, 'from=2027-13-01', 'status=lost', 'q=a&q=b', 'holder=99999999999', 'from=2027-02-10&to=2027-02-01']) {
      const search = await clerk.agent.get(`/staff/inquiries?${query}`);
      expect(search.status, query).toBe(400);
      expect(search.text).toMatch(/検索条件|受付日/);
    }
    expect((await clerk.agent.get('/staff/inquiries/99999999999')).status).toBe(404);
    const admin = await staffOf(t, 'admin');
    const noSuchCounter = await record(admin.agent, { counterId: '2147483646' });
    expect(noSuchCounter.status).toBe(400);
    expect(noSuchCounter.text).toContain('交付場所を一覧から選んで');
    const megabyte = await clerk.agent
      .post('/staff/inquiries/new')
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&body=${'a'.repeat(1024 * 1024)}`);
    expect(megabyte.status).toBe(413);
    expect(megabyte.text).toMatch(/[ぁ-ん]/);
    expect(await count()).toBe(before);
  });

  it('When the search text holds % or _, then they are taken literally', async () => {
    const clerk = await staffOf(t, 'staff', [(await createCounter(t.db)).id]);
    await record(clerk.agent, { body: '割引は100%ですか' });
    await record(clerk.agent, { body: '割引は1000円ですか' });
    const page = await clerk.agent.get(`/staff/inquiries?q=${encodeURIComponent('100%')}`);
    expect(page.text).toContain('割引は100%ですか');
    expect(page.text).not.toContain('割引は1000円ですか');
    expect((await clerk.agent.get(`/staff/inquiries?q=${encodeURIComponent('割引は_')}`)).text).toContain('条件に合う問い合わせはありません');
  });
});

describe('retention', () => {
  it('When the purge runs past the inquiries period, then answered and closed inquiries received before it go and open or handed-over ones stay', async () => {
    const counter = await createCounter(t.db);
    const clerk = await staffOf(t, 'staff', [counter.id]);
    const old = { counterId: counter.id, receivedDate: '2020-01-06', body: '古い問い合わせ' };
    const closed = idOf((await record(clerk.agent, old)).headers.location);
    await postForm(clerk.agent, `/staff/inquiries/${closed}`, `/staff/inquiries/${closed}/close`, {});
    const escalated = idOf((await record(clerk.agent, { ...old, escalatedTo: '係長' })).headers.location);
    const recent = idOf((await record(clerk.agent, { counterId: counter.id })).headers.location);
    await postForm(clerk.agent, `/staff/inquiries/${recent}`, `/staff/inquiries/${recent}/close`, {});
    const result = await inTx(t.db, (tx) => purgeSettledInquiries(tx, jstInstant('2021-01-01'), 1000), STAFF_ACTOR);
    expect(result.deleted).toEqual({ inquiries: 1 });
    expect(await rowOf(closed)).toBeUndefined();
    expect(await rowOf(escalated)).toBeDefined();
    expect(await rowOf(recent)).toBeDefined();
  });
});
