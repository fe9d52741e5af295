// The import preview shows the first decoded lines so staff can check the encoding before
// committing (issue 12.12); birth dates are never shown.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createCounter, createStaff } from '../helpers/factories.js';
import { staffAgent } from '../helpers/staff.js';
import { csvText, noticeIdFor, settled, sjis, uploadOk, type Agent } from './helpers.js';

let t: TestApp;
let agent: Agent;
let counterCode: string;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'cards-sample-')) });
  // Fixed names instead of the factories' random ones: the page must show no "1975" (the birth
  // year in the file), and a random hex code such as counter-19759315 did once.
  const counter = await createCounter(t.db, { name: '本庁舎' });
  counterCode = (await t.db.prisma.counter.update({ where: { id: counter.id }, data: { code: 'SAMPLE-HONCHO' } })).code;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  const loginId = (await t.db.prisma.staffUser.update({ where: { id: user.id }, data: { loginId: 'sample-clerk' } })).loginId;
  agent = await staffAgent(t.app, loginId, password);
});

const sampleRows = (html: string) =>
  [...html.matchAll(/<table class="import-sample"[\s\S]*?<\/table>/g)].flatMap((table) =>
    [...table[0].matchAll(/<tr><td>(\d+)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => [Number(m[1]), m[2], m[3], m[4]]),
  );

describe('import preview sample', () => {
  it('When a Shift_JIS file is previewed, then the first 10 decoded lines show with their line numbers and correct names, and no birth date appears', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => [
      noticeIdFor(500 + i),
      `1975${String(i + 1).padStart(2, '0')}17`,
      i === 0 ? '髙橋 一郎' : `山﨑 ${i}`,
      i === 0 ? 'ﾀｶﾊｼ ｲﾁﾛｳ' : 'ﾔﾏｻﾞｷ',
      `C${i}`,
      counterCode,
      `箱${i}`,
      '20261101',
      '20270531',
    ]);
    const batchId = await uploadOk(agent, sjis(csvText(lines)), 'sjis.csv', { encoding: 'sjis' });
    expect(await settled(t.db, batchId)).toMatchObject({ status: 'previewed', errorCount: 0 });
    const page = (await agent.get(`/staff/cards/imports/${batchId}`)).text;
    expect(page).toContain('読み取った内容(先頭 10 行)');
    const rows = sampleRows(page);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual([2, noticeIdFor(500), '髙橋 一郎', 'タカハシ イチロウ']); // line 1 is the header
    expect(rows[9]).toEqual([11, noticeIdFor(509), '山﨑 9', 'ヤマザキ']);
    expect(page).not.toContain(noticeIdFor(510));
    for (const line of lines) expect(page).not.toContain(line[1]);
    expect(page).not.toMatch(/1975/);
  });

  it('When a Shift_JIS file is read as UTF-8 by mistake, then the sample shows the problem before anything is committed', async () => {
    const lines = [[noticeIdFor(600), '19800401', '髙橋 一郎', 'ﾀｶﾊｼ', 'C1', counterCode, '箱', '20261101', '20270531']];
    const batchId = await uploadOk(agent, sjis(csvText(lines)), 'wrong.csv', { encoding: 'utf8' });
    await settled(t.db, batchId);
    const page = (await agent.get(`/staff/cards/imports/${batchId}`)).text;
    expect(page).toContain('読み取った内容');
    expect(page).not.toContain('髙橋 一郎');
    expect(await t.db.prisma.cardHolder.count()).toBe(0);
  });
});
