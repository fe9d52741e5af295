// The FAQ (issue 15.5): clerks write entries, the call center reads and searches them in the
// console, citizens see the published ones on the start page (grouped, <details>, no script) and
// search them at /faq without logging in, in every citizen language; the search takes % and _
// literally and refuses what is not a search word, in Japanese.
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { postForm, staffOf } from '../console/helpers.js';
import { CITIZEN_LANGUAGES } from '../../src/lib/languages.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

const entry = (fields: Record<string, string>) => ({ category: '予約について', question: '', answer: '', published: '1', sortOrder: '0', ...fields });
const versionOf = async (id: number) =>
  (await t.db.query<{ v: string }>(`SELECT (extract(epoch FROM updated_at) * 1000000)::bigint::text AS v FROM faq_entries WHERE id = $1`, [id]))[0].v;
const count = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM faq_entries'))[0].n;

describe('the FAQ', () => {
  it('When a clerk writes entries, then citizens see the published ones on the start page by category and the call center reads all of them', async () => {
    const clerk = await staffOf(t, 'staff');
    const save = (fields: Record<string, string>) => postForm(clerk.agent, '/staff/faq/new', '/staff/faq/new', entry(fields));
    expect((await save({ question: '予約の変更はできますか', answer: '前日まで変更できます。\n当日は電話してください。', sortOrder: '2' })).status).toBe(303);
    expect((await save({ question: '持ち物は何ですか', answer: '交付通知書と本人確認書類です。', category: '持ち物', sortOrder: '1' })).status).toBe(303);
    const { published: _p, ...draft } = entry({ question: '下書きの質問', answer: '未公開の回答' });
    expect((await postForm(clerk.agent, '/staff/faq/new', '/staff/faq/new', draft)).status).toBe(303);

    const start = await request(t.app).get('/');
    expect(start.status).toBe(200);
    expect(start.text).toContain('<summary>予約の変更はできますか</summary>');
    expect(start.text).toContain('前日まで変更できます。<br>当日は電話してください。');
    expect(start.text.indexOf('<h3>持ち物</h3>')).toBeGreaterThan(-1);
    expect(start.text).not.toContain('下書きの質問');
    expect(start.text).toContain('action="/faq"');

    const operator = await staffOf(t, 'operator');
    const console = await operator.agent.get('/staff/faq?q=下書き');
    expect(console.status).toBe(200);
    expect(console.text).toContain('下書きの質問');
    expect(console.text).toContain('非公開');
    expect(console.text).not.toContain('/staff/faq/new');
    expect((await postForm(operator.agent, '/staff/faq', '/staff/faq/new', entry({ question: 'q', answer: 'a' }))).status).toBe(403);

    const [{ id }] = await t.db.query<{ id: number }>(`SELECT id FROM faq_entries WHERE question = '下書きの質問'`);
    expect(
      (await postForm(clerk.agent, `/staff/faq/${id}/edit`, `/staff/faq/${id}/edit`, entry({ question: '公開した質問', answer: '回答', version: await versionOf(id) }))).status,
    ).toBe(303);
    expect((await request(t.app).get('/')).text).toContain('公開した質問');
    const audit = await t.db.query(`SELECT 1 FROM audit_logs WHERE action = 'faq.save' AND actor_id = $1`, [String(clerk.user.id)]);
    expect(audit.length).toBe(4);
  });

  it.each(CITIZEN_LANGUAGES.map((language) => language.code))(
    'When a citizen reads the FAQ in %s, then the labels are in that language and the entries as staff wrote them',
    async (code) => {
      await t.db.query(`INSERT INTO faq_entries (category, question, answer, published, updated_by) VALUES ('言語', '多言語の質問 ${code}', '回答', true, 'staff:1')`);
      const page = await request(t.app).get(`/faq?lang=${code}&q=${encodeURIComponent(`多言語の質問 ${code}`)}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`多言語の質問 ${code}`);
      const heading = { ja: 'よくある質問', 'ja-easy': 'よく ある しつもん', en: 'Frequently asked questions', 'zh-Hans': '常见问题', 'zh-Hant': '常見問題', ko: '자주 묻는 질문' }[
        code
      ];
      expect(page.text).toContain(`<h1>${heading}</h1>`);
      expect(page.text).not.toContain('citizen.faq.');
    },
  );

  it('When a citizen searches, then questions and answers are both searched and % and _ are taken literally', async () => {
    const insert = (question: string, answer: string) =>
      t.db.query(`INSERT INTO faq_entries (category, question, answer, published, updated_by) VALUES ('検索', $1, $2, true, 'staff:1')`, [question, answer]);
    await insert('手数料は100%無料ですか', 'はい');
    await insert('手数料は1000円ですか', 'いいえ');
    await insert('駐車場はありますか', '庁舎の北側に_専用_の駐車場があります');
    const search = async (q: string) => (await request(t.app).get(`/faq?q=${encodeURIComponent(q)}`)).text;
    expect(await search('100%')).toContain('手数料は100%無料ですか');
    expect(await search('100%')).not.toContain('手数料は1000円ですか');
    expect(await search('北側')).toContain('駐車場はありますか');
    expect(await search('_専用_')).toContain('駐車場はありますか');
    expect(await search('北_')).not.toContain('駐車場はありますか');
  });

  it('When the search or the form gets bad input, then the answer is a Japanese 400 and nothing changes', async () => {
    for (const query of ['q=%00', `q=${'a'.repeat(101)}`, 'q=a&q=b']) {
      const page = await request(t.app).get(`/faq?${query}`);
      expect(page.status, query).toBe(400);
      expect(page.text).toContain('100 文字以内');
    }
    const clerk = await staffOf(t, 'staff');
    const before = await count();
    for (const fields of <Record<string, string>[]>[
      { question: '質問\u0000', answer: 'a' },
      { question: '', answer: 'a' },
      { question: 'q', answer: 'あ'.repeat(4001) },
      { question: 'q', answer: 'a', sortOrder: '99999999999' },
      { question: 'q', answer: 'a', published: 'yes' },
      { question: 'q', answer: 'a', category: '' },
    ]) {
      const response = await postForm(clerk.agent, '/staff/faq/new', '/staff/faq/new', entry(fields));
      expect(response.status, JSON.stringify(fields).slice(0, 80)).toBe(400);
      expect(response.text).toContain('入力内容を確認してください');
    }
    expect(await count()).toBe(before);
    expect((await clerk.agent.get('/staff/faq/99999999999/edit')).status).toBe(404);
    expect((await clerk.agent.get('/staff/faq/2147483647/edit')).status).toBe(404);
  });

  it('When a FAQ field is sent twice, or the order or publication gets 2^31, a 20-digit number, a date or a NUL, then a Japanese 400 and nothing changes', async () => {
    const clerk = await staffOf(t, 'staff');
    const [{ id }] = await t.db.query<{ id: number }>(
      `INSERT INTO faq_entries (category, question, answer, published, updated_by) VALUES ('二重', '二重の質問', '二重の回答', true, 'staff:1') RETURNING id`,
    );
    const snapshot = async () => JSON.stringify(await t.db.query(`SELECT id, category, question, answer, published, sort_order, updated_at FROM faq_entries ORDER BY id`));
    const before = await snapshot();
    const path = `/staff/faq/${id}/edit`;
    const fields = { ...entry({ question: '質問', answer: '回答' }), version: await versionOf(id) };
    for (const action of ['/staff/faq/new', path]) {
      const token = /name="_csrf" value="([^"]+)"/.exec((await clerk.agent.get(action === path ? path : '/staff/faq/new')).text)![1];
      const send = (body: string) =>
        clerk.agent
          .post(action)
          .type('form')
          .send(`_csrf=${encodeURIComponent(token)}&${body}`);
      const encoded = (values: Record<string, string>) => Object.entries(values).map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
      for (const field of ['category', 'question', 'answer', 'published', 'sortOrder']) {
        const response = await send([...encoded(fields), `${field}=${encodeURIComponent(fields[field as keyof typeof fields])}`].join('&'));
        expect(response.status, `${action} ${field} doubled`).toBe(400);
        expect(response.text).toContain('入力内容を確認してください');
      }
      for (const [field, value] of [
        ['sortOrder', '2147483648'],
        ['sortOrder', '99999999999999999999'],
        ['sortOrder', '2026-02-31'],
        ['sortOrder', '1\u0000'],
        ['published', '1\u0000'],
        ['category', 'a\u0000'],
      ]) {
        const response = await send(encoded({ ...fields, [field]: value }).join('&'));
        expect(response.status, `${action} ${field}=${JSON.stringify(value)}`).toBe(400);
        expect(response.text).toContain('入力内容を確認してください');
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('When two clerks save the same entry from forms opened at the same version, then one save wins and the other gets a Japanese 409 and changes nothing', async () => {
    const first = await staffOf(t, 'staff');
    const second = await staffOf(t, 'staff');
    const [{ id }] = await t.db.query<{ id: number }>(
      `INSERT INTO faq_entries (category, question, answer, published, updated_by) VALUES ('同時', '同時編集の質問', '元の回答', true, 'staff:1') RETURNING id`,
    );
    const path = `/staff/faq/${id}/edit`;
    const pages = await Promise.all([first.agent.get(path), second.agent.get(path)]);
    const version = /name="version" value="([0-9]+)"/.exec(pages[0].text)?.[1];
    expect(version).toBe(await versionOf(id));
    expect(pages[1].text).toContain(`name="version" value="${version}"`);
    const tokens = pages.map((page) => /name="_csrf" value="([^"]+)"/.exec(page.text)![1]);
    const send = (agent: typeof first.agent, token: string, answer: string) =>
      agent
        .post(path)
        .type('form')
        .send({ _csrf: token, ...entry({ question: '同時編集の質問', answer, version: version! }) });
    const responses = await Promise.all([send(first.agent, tokens[0], '一人目の回答'), send(second.agent, tokens[1], '二人目の回答')]);
    expect(responses.map((response) => response.status).sort()).toEqual([303, 409]);
    const refused = responses.find((response) => response.status === 409)!;
    expect(refused.text).toContain('ほかの職員が保存したため、保存しませんでした');
    const [row] = await t.db.query<{ answer: string }>(`SELECT answer FROM faq_entries WHERE id = $1`, [id]);
    expect(refused.text).toContain(row.answer === '一人目の回答' ? '二人目の回答' : '一人目の回答'); // what the loser typed is kept
    expect((await t.db.query(`SELECT 1 FROM audit_logs WHERE action = 'faq.save' AND target_id = $1`, [String(id)])).length).toBe(1);

    // A form opened before that save stays refused when sent again later.
    const late = await postForm(first.agent, path, path, entry({ question: '同時編集の質問', answer: '古い画面から', version: version! }));
    expect(late.status).toBe(409);
    const [after] = await t.db.query<{ answer: string }>(`SELECT answer FROM faq_entries WHERE id = $1`, [id]);
    expect(after.answer).toBe(row.answer);
  });

  it('When an edit carries an odd version, then the answer is a Japanese 400 and nothing changes', async () => {
    const clerk = await staffOf(t, 'staff');
    const [{ id }] = await t.db.query<{ id: number }>(
      `INSERT INTO faq_entries (category, question, answer, published, updated_by) VALUES ('版', '版の質問', '版の回答', true, 'staff:1') RETURNING id`,
    );
    const path = `/staff/faq/${id}/edit`;
    for (const version of ['', '1\u0000', '2147483648x', '9'.repeat(21), '2026-02-31']) {
      const response = await postForm(clerk.agent, path, path, entry({ question: '変えた質問', answer: 'a', version }));
      expect(response.status, version).toBe(400);
      expect(response.text).toContain('ほかの職員が保存したため');
    }
    // Doubled, missing, or a well-formed number that is not the entry's version.
    const page = await clerk.agent.get(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const doubled = await clerk.agent
      .post(path)
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&category=a&question=q&answer=a&version=1&version=2`);
    expect(doubled.status).toBe(400);
    const { version: _v, ...missing } = entry({ question: 'q', answer: 'a' }) as Record<string, string>;
    expect((await postForm(clerk.agent, path, path, missing)).status).toBe(400);
    expect((await postForm(clerk.agent, path, path, entry({ question: 'q', answer: 'a', version: '99999999999999999999' }))).status).toBe(409);
    const [row] = await t.db.query<{ question: string }>(`SELECT question FROM faq_entries WHERE id = $1`, [id]);
    expect(row.question).toBe('版の質問');
    expect((await postForm(clerk.agent, path, '/staff/faq/2147483648/edit', entry({ question: 'q', answer: 'a', version: await versionOf(id) }))).status).toBe(404);
  });
});
