// Issue 12.11: each city sets the notice ID format it prints (NOTICE_ID_PATTERN); log-in, J-LIS
// import, console search and the barcode jump all normalise and check it the same way.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { isNoticeId, noticeIdOf } from '../../src/lib/notice-id.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { citizenLogin } from '../citizen/citizen-agent.js';
import { commit, csvText, settled, uploadOk, type Agent } from './helpers.js';

const PATTERN = '[A-Z]{2}-[0-9]{6}';
let t: TestApp;
let clerk: Agent;
let counterCode: string;

beforeAll(async () => {
  t = await createTestApp({ NOTICE_ID_PATTERN: PATTERN, IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'notice-id-')) });
  counterCode = (await createCounter(t.db)).code;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  clerk = await staffAgent(t.app, user.loginId, password);
});

describe('the setting', () => {
  it("When NOTICE_ID_PATTERN is unusable, then start-up refuses it naming the variable; unset, today's 12-20 digits apply", () => {
    for (const bad of ['(A+)+', '{12}', '[0-9]{12,20}|.*', '.+']) {
      expect(() => loadConfig({ NOTICE_ID_PATTERN: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ NOTICE_ID_PATTERN: bad }), bad).toThrow(/NOTICE_ID_PATTERN/);
    }
    expect(loadConfig({}).NOTICE_ID_PATTERN).toBe('[0-9]{12,20}');
    expect(loadConfig({ NOTICE_ID_PATTERN: PATTERN }).NOTICE_ID_PATTERN).toBe(PATTERN);
  });

  it('When an ID is typed in full width, lower case, with or without the hyphen, then it has one stored form', () => {
    for (const typed of ['AB-123456', 'ab-123456', 'ＡＢ－１２３４５６', 'ＡＢ１２３４５６', 'ab ー 123456', 'AB123456']) {
      expect(isNoticeId(typed), typed).toBe(true);
      expect(noticeIdOf(typed), typed).toBe('AB123456');
    }
    for (const wrong of ['123456789012', 'ABC-12345', 'AB-1234567']) expect(isNoticeId(wrong), wrong).toBe(false);
  });
});

describe('every reader of the ID follows the setting', () => {
  it('When a J-LIS file has IDs as printed and in full width, then they are imported in the stored form and a digits-only ID is reported with its line', async () => {
    const row = (id: string, n: number) => [id, '19800401', `試験 ${n}`, 'シケン タロウ', '', counterCode, '', '', ''];
    const bytes = Buffer.from(csvText([row('JL-000001', 1), row('ｊｌ－０００００２', 2), row('123456789012', 3)]), 'utf8');
    const batchId = await uploadOk(clerk, bytes);
    expect(await settled(t.db, batchId)).toMatchObject({ status: 'previewed', errorCount: 1 });
    const page = await clerk.get(`/staff/cards/imports/${batchId}`);
    expect(page.text).toContain('予約用IDの形式が正しくありません');
    const problem = await t.db.prisma.importRow.findFirstOrThrow({ where: { batchId, error: { not: null } } });
    expect(problem.line).toBe(4);
    const fixed = await uploadOk(clerk, Buffer.from(csvText([row('JL-000001', 1), row('ｊｌ－０００００２', 2)]), 'utf8'));
    expect(await settled(t.db, fixed)).toMatchObject({ status: 'previewed', errorCount: 0 });
    await commit(clerk, t.db, fixed);
    const stored = await t.db.prisma.cardHolder.findMany({ where: { noticeId: { in: ['JL000001', 'JL000002'] } } });
    expect(stored).toHaveLength(2);
  });

  it('When a citizen logs in with the printed ID in lower case and full width, then they are in; the login field is not a number pad', async () => {
    await createCardHolder(t.db, { noticeId: 'CT123456', mmdd: '0401' });
    expect((await request(t.app).get('/login')).text).toContain('inputmode="text"');
    const { response } = await citizenLogin(t.app, 'ｃｔ－１２３４５６', '0401');
    expect(response.status).toBe(303);
    expect(response.headers.location).not.toContain('/login');
  });

  it('When staff search a partial form of the ID or scan the barcode text, then the card page opens (the barcode jump)', async () => {
    const { holder } = await createCardHolder(t.db, { noticeId: 'SR654321' });
    for (const typed of ['sr-654321', 'ＳＲ－６５４３２１', 'SR654321']) {
      const response = await clerk.get(`/staff/console/search?q=${encodeURIComponent(typed)}`);
      expect(response.status, typed).toBe(303);
      expect(response.headers.location).toBe(`/staff/console/holders/${holder.id}`);
    }
  });
});
