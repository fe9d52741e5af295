import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { birthKeyMatches } from '../../src/features/citizen/birth-key.js';
import { TEST_SECRETS, createTestApp, type TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { binaryBody, csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { commit, csvText, noticeIdFor, settled, sjis, upload, uploadOk, type Agent } from './helpers.js';
import { createBooking } from '../helpers/bookings.js';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';

let t: TestApp;
let agent: Agent;
let counterCode: string;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_MAX_BYTES: String(20 * 1024 * 1024), IMPORT_DIR: mkdtempSync(path.join(tmpdir(), 'cards-import-')) });
  const counter = await createCounter(t.db, { name: '本庁舎' });
  counterCode = counter.code;
  const { user, password } = await createStaff(t.db, { role: 'staff' });
  agent = await staffAgent(t.app, user.loginId, password);
});

const holderSequence = async () => Number((await t.db.pool.query<{ last_value: string }>('SELECT last_value FROM card_holders_id_seq')).rows[0].last_value);

const row = (n: number, overrides: Partial<Record<number, string>> = {}) => {
  const cells = [noticeIdFor(n), '19800401', `試験 ${n}`, 'ｼｹﾝ ﾀﾛｳ', `C${n}`, counterCode, `箱${Math.floor(n / 100)}-${n % 100}`, '20261101', '20270531'];
  for (const [index, value] of Object.entries(overrides)) cells[Number(index)] = value!;
  return cells;
};

describe('J-LIS import', () => {
  it('When a Shift_JIS file with 髙, 﨑 and half-width kana is imported, then names keep those characters, kana is full-width and only the birth key is stored', async () => {
    const bytes = sjis(csvText([row(1, { 2: '髙橋 一郎', 3: 'ﾀｶﾊｼ ｲﾁﾛｳ' }), row(2, { 2: '山﨑 花子', 3: 'ﾔﾏｻﾞｷ ﾊﾅｺ', 1: '19920229' })]));
    expect(bytes.includes(Buffer.from('髙', 'utf8'))).toBe(false); // really Shift_JIS bytes
    const batchId = await uploadOk(agent, bytes);
    const previewed = await settled(t.db, batchId);
    expect(previewed).toMatchObject({ status: 'previewed', encoding: 'sjis', createdCount: 2, errorCount: 0 });
    expect(await t.db.prisma.cardHolder.count()).toBe(0); // nothing written before confirmation
    expect(await commit(agent, t.db, batchId)).toMatchObject({ status: 'committed', failure: '' });
    const takahashi = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(1) } });
    const yamasaki = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(2) } });
    expect([takahashi.name, takahashi.nameKana]).toEqual(['髙橋 一郎', 'タカハシ イチロウ']);
    expect([yamasaki.name, yamasaki.nameKana]).toEqual(['山﨑 花子', 'ヤマザキ ハナコ']);
    expect(takahashi.storagePlace).toBe('箱0-1');
    expect(birthKeyMatches(TEST_SECRETS.birthDatePepper, noticeIdFor(1), '0401', takahashi.birthKey)).toBe(true);
    expect(birthKeyMatches(TEST_SECRETS.birthDatePepper, noticeIdFor(2), '0229', yamasaki.birthKey)).toBe(true);
    expect(JSON.stringify(takahashi)).not.toContain('19800401');
    const audit = await t.db.prisma.auditLog.findMany({ where: { targetType: 'import_batch', targetId: String(batchId) } });
    expect(audit.map((entry) => entry.action)).toEqual(expect.arrayContaining(['cards.import.upload', 'cards.import.view', 'cards.import.commit']));
    expect(JSON.stringify(audit.map((entry) => entry.detail))).not.toContain('19800401');
    const history = await t.db.prisma.cardStatusChange.findMany({ where: { cardHolderId: takahashi.id } });
    expect(history).toMatchObject([{ fromStatus: null, toStatus: 'data_received' }]);
  });

  it('When a file has bad lines, then the preview lists each with its line number and reason in Japanese, and it cannot be committed', async () => {
    const lines = [
      row(100),
      row(101, { 0: '12AB' }), // line 3: bad ID
      row(102, { 1: '19900231' }), // line 4: impossible date
      row(100, { 2: '別人' }), // line 5: duplicate of line 2
      row(104, { 5: 'no-such-counter' }), // line 6: unknown counter
      row(105, { 7: '20261345' }), // line 7: bad notice date
    ];
    const utf8 = Buffer.from(csvText(lines), 'utf8');
    const bytes = Buffer.concat([utf8, iconv.encode(`${noticeIdFor(106)},19800401,髙木 三郎,ﾀｶｷﾞ,C1,${counterCode},箱1,20261101,20270531\r\n`, 'CP932')]); // line 8: Shift_JIS in a UTF-8 file
    const batchId = await uploadOk(agent, bytes, 'mixed.csv', { encoding: 'utf8' });
    const batch = await settled(t.db, batchId);
    expect(batch).toMatchObject({ status: 'previewed', createdCount: 1, errorCount: 6 });
    const page = await agent.get(`/staff/cards/imports/${batchId}`);
    const errorRows = [...page.text.matchAll(/<tr><td>(\d+)<\/td><td>[^<]*<\/td><td>([^<]+)<\/td><\/tr>/g)].map((match) => [Number(match[1]), match[2]]);
    expect(errorRows).toEqual([
      [3, expect.stringContaining('予約用IDの形式')],
      [4, expect.stringContaining('存在しない日付')],
      [5, expect.stringContaining('2行目にもあります')],
      [6, expect.stringContaining('「no-such-counter」は登録されていません')],
      [7, expect.stringContaining('「20261345」が正しくありません')],
      [8, expect.stringContaining('文字コード')],
    ]);
    expect(page.text).not.toContain('19900231');
    const csv = await agent.get(`/staff/cards/imports/${batchId}/errors.csv`).buffer(true).parse(binaryBody);
    const csvRows = parse((csv.body as Buffer).subarray(3).toString('utf8')) as string[][];
    expect(csvRows.slice(1).map((cells) => Number(cells[0]))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'cards.import.errorsExport', targetId: String(batchId) } })).toBe(1);
    expect(page.text).not.toContain('この内容で登録を確定する');
    await commit(agent, t.db, batchId);
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: noticeIdFor(100) } })).toBe(0);
  });

  it('When an ID appears three times, and another after a line that is bad for its date, then every repeat names the first line of its ID', async () => {
    const lines = [row(120), row(121), row(120, { 2: '二度目' }), row(120, { 2: '三度目' }), row(122, { 7: '20261345' }), row(122)];
    const batch = await settled(t.db, await uploadOk(agent, sjis(csvText(lines)), 'repeats.csv'));
    expect(batch).toMatchObject({ status: 'previewed', createdCount: 2, errorCount: 4 });
    const errors = await t.db.prisma.importRow.findMany({
      where: { batchId: batch.id, error: { not: null } },
      orderBy: { line: 'asc' },
      select: { line: true, error: true, errorParams: true },
    });
    expect(errors).toEqual([
      { line: 4, error: 'cards.row.duplicate', errorParams: { first: 2 } },
      { line: 5, error: 'cards.row.duplicate', errorParams: { first: 2 } },
      { line: 6, error: 'cards.row.badDate', errorParams: { field: 'noticeSentOn', value: '20261345' } },
      { line: 7, error: 'cards.row.duplicate', errorParams: { first: 6 } },
    ]);
  });

  it('When a file holds only its header, or only blank lines after it, then the preview counts nothing and nothing is staged', async () => {
    for (const text of [csvText([]), csvText([]) + '\r\n  \r\n,,,\r\n']) {
      const batch = await settled(t.db, await uploadOk(agent, sjis(text), 'header-only.csv'));
      expect(batch).toMatchObject({ status: 'previewed', createdCount: 0, updatedCount: 0, unchangedCount: 0, errorCount: 0, rowsRead: 0 });
      expect(await t.db.prisma.importRow.count({ where: { batchId: batch.id } })).toBe(0);
    }
  });

  it('When one bad line sits at line 99,999 of a generated 100,000-line file, then the preview reports exactly that line and nothing is imported', async () => {
    const parts: string[] = [csvText([], true)];
    for (let n = 1; n <= 99_999; n += 1) parts.push(`${noticeIdFor(200_000 + n)},${n === 99_998 ? '19990229' : '19800401'},試験 太郎,ｼｹﾝ ﾀﾛｳ,,${counterCode},箱${n},20261101,\r\n`);
    const batchId = await uploadOk(agent, sjis(parts.join('')), 'big.csv');
    const seen: { status: string; rowsRead: number; percent: number }[] = [];
    for (let poll = 0; poll < 2400 && !seen.some((progress) => progress.status === 'previewed'); poll += 1) {
      seen.push((await agent.get(`/staff/cards/imports/${batchId}/progress`)).body);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // progress was visible while the preview ran, and only moved forward
    expect(seen.some((progress) => progress.status === 'previewing' && progress.rowsRead > 0 && progress.percent > 0 && progress.percent < 100)).toBe(true);
    expect(seen.map((progress) => progress.rowsRead)).toEqual([...seen.map((progress) => progress.rowsRead)].sort((a, b) => a - b));
    const batch = await settled(t.db, batchId);
    expect(batch).toMatchObject({ status: 'previewed', createdCount: 99_998, errorCount: 1 });
    const bad = await t.db.prisma.importRow.findMany({ where: { batchId, error: { not: null } } });
    expect(bad.map((entry) => [entry.line, entry.error])).toEqual([[99_999, 'cards.row.badBirthDate']]);
    const committed = await commit(agent, t.db, batchId);
    expect(committed).toMatchObject({ status: 'previewed', failure: 'cards.import.hasErrors' });
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: { startsWith: '00000001002' } } })).toBe(0);
    expect(await t.db.prisma.cardHolder.count({ where: { storagePlace: { startsWith: '箱' }, noticeId: { gte: noticeIdFor(200_000) } } })).toBe(0);
  }, 120_000);

  it('When a counter is retired after the preview, then the commit is refused before writing and nothing of the batch is imported', async () => {
    const counter = await createCounter(t.db, { name: '閉鎖予定' });
    const batchId = await uploadOk(agent, sjis(csvText([row(300), row(301, { 5: counter.code })])));
    expect(await settled(t.db, batchId)).toMatchObject({ status: 'previewed', createdCount: 2, errorCount: 0 });
    await t.db.prisma.counter.update({ where: { id: counter.id }, data: { retiredAt: new Date() } });
    expect(await commit(agent, t.db, batchId)).toMatchObject({ status: 'previewed', failure: 'cards.import.hasErrors' });
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: { in: [noticeIdFor(300), noticeIdFor(301)] } } })).toBe(0);
  });

  it('When the database refuses a statement after the commit has written cards, then the whole batch rolls back and stays ready to commit again', async () => {
    const existing = await createCardHolder(t.db, { noticeId: noticeIdFor(311) });
    const batchId = await uploadOk(agent, sjis(csvText([row(310), row(311, { 6: '壊れた棚' })])));
    expect(await settled(t.db, batchId)).toMatchObject({ status: 'previewed', createdCount: 1, updatedCount: 1, errorCount: 0 });
    const historyBefore = await t.db.prisma.cardStatusChange.count();
    const sequenceBefore = await holderSequence();
    // Valid at preview, refused at commit: the update of 311 trips it after 310 has been inserted.
    await t.db.pool.query(`ALTER TABLE card_holders ADD CONSTRAINT test_no_broken_shelf CHECK (storage_place <> '壊れた棚') NOT VALID`);
    try {
      expect(await commit(agent, t.db, batchId)).toMatchObject({ status: 'previewed', failure: 'cards.import.commitFailed' });
    } finally {
      await t.db.pool.query('ALTER TABLE card_holders DROP CONSTRAINT test_no_broken_shelf');
    }
    expect(await holderSequence()).toBeGreaterThan(sequenceBefore); // 310 was written before the failure
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: noticeIdFor(310) } })).toBe(0);
    expect(await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: existing.holder.id } })).toMatchObject({ storagePlace: '', name: existing.holder.name });
    expect(await t.db.prisma.cardStatusChange.count()).toBe(historyBefore);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'cards.import.commit', targetId: String(batchId) } })).toBe(0);

    expect(await commit(agent, t.db, batchId)).toMatchObject({ status: 'committed', failure: '', createdCount: 1, updatedCount: 1 });
    expect(await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { id: existing.holder.id } })).toMatchObject({ storagePlace: '壊れた棚' });
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: noticeIdFor(310) } })).toBe(1);
  });

  it('When the same file is imported twice, then the second import changes nothing and counts every row as unchanged; a corrected file updates and records history', async () => {
    const file = sjis(csvText([row(400), row(401), row(402)]));
    await commit(agent, t.db, await settled(t.db, await uploadOk(agent, file)).then((batch) => batch.id));
    const historyBefore = await t.db.prisma.cardStatusChange.count();
    const again = await settled(t.db, await uploadOk(agent, file));
    expect(again).toMatchObject({ createdCount: 0, updatedCount: 0, unchangedCount: 3, errorCount: 0 });
    expect((await agent.get(`/staff/cards/imports/${again.id}`)).text).toContain('同じ内容のファイルが取込');
    expect(await commit(agent, t.db, again.id)).toMatchObject({ status: 'committed', unchangedCount: 3 });
    expect(await t.db.prisma.cardHolder.count({ where: { noticeId: { in: [noticeIdFor(400), noticeIdFor(401), noticeIdFor(402)] } } })).toBe(3);
    expect(await t.db.prisma.cardStatusChange.count()).toBe(historyBefore);

    const corrected = sjis(csvText([row(400), row(401, { 6: '箱9-99' }), row(402, { 1: '19800402' })]));
    const fixed = await commit(agent, t.db, (await settled(t.db, await uploadOk(agent, corrected))).id);
    expect(fixed).toMatchObject({ status: 'committed', createdCount: 0, updatedCount: 2, unchangedCount: 1 });
    const moved = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(401) }, include: { statusChanges: { orderBy: { id: 'desc' } } } });
    expect(moved.storagePlace).toBe('箱9-99');
    expect(moved.statusChanges[0].reason).toContain('保管場所');
    const rebirthed = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(402) }, include: { statusChanges: { orderBy: { id: 'desc' } } } });
    expect(birthKeyMatches(TEST_SECRETS.birthDatePepper, noticeIdFor(402), '0402', rebirthed.birthKey)).toBe(true);
    expect(rebirthed.statusChanges[0].reason).toContain('生年月日');
    expect(rebirthed.statusChanges[0].reason).not.toContain('0402');
  });

  it('When one batch is committed and another discarded, then no staged row of either is left behind', async () => {
    const committed = await settled(t.db, await uploadOk(agent, sjis(csvText([row(450), row(451)]))));
    const discarded = await settled(t.db, await uploadOk(agent, sjis(csvText([row(452), row(453, { 1: '19801332' })]))));
    expect(await t.db.prisma.importRow.count({ where: { batchId: { in: [committed.id, discarded.id] } } })).toBe(4);
    await commit(agent, t.db, committed.id);
    const page = await agent.get(`/staff/cards/imports/${discarded.id}`);
    const response = await agent
      .post(`/staff/cards/imports/${discarded.id}/discard`)
      .type('form')
      .send({ _csrf: csrfTokenFrom(page.text) });
    expect(response.status).toBe(303);
    expect(await t.db.prisma.importBatch.findUniqueOrThrow({ where: { id: discarded.id } })).toMatchObject({ status: 'discarded' });
    expect(await t.db.prisma.importRow.count({ where: { batchId: { in: [committed.id, discarded.id] } } })).toBe(0);
  });

  it('When two staff confirm the same batch at the same moment, then it is committed once and the other is told it is not ready', async () => {
    const batchId = (await settled(t.db, await uploadOk(agent, sjis(csvText([row(600), row(601)]))))).id;
    const { user, password } = await createStaff(t.db, { role: 'staff' });
    const other = await staffAgent(t.app, user.loginId, password);
    const tokens = await Promise.all([agent, other].map(async (client) => (await client.get(`/staff/cards/imports/${batchId}`)).text.match(/name="_csrf" value="([^"]+)"/)![1]));
    const responses = await Promise.all([agent, other].map((client, index) => client.post(`/staff/cards/imports/${batchId}/commit`).type('form').send({ _csrf: tokens[index] })));
    expect(responses.map((response) => response.status).sort()).toEqual([303, 409]);
    expect(await settled(t.db, batchId)).toMatchObject({ status: 'committed', createdCount: 2 });
    expect(await t.db.prisma.cardStatusChange.count({ where: { cardHolder: { noticeId: { in: [noticeIdFor(600), noticeIdFor(601)] } } } })).toBe(2);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'cards.import.commit', targetId: String(batchId) } })).toBe(1);
  });

  it('When a card holder already has a booking, then importing the same notice ID keeps the booking and the storage place shows beside it', async () => {
    const counter = await createCounter(t.db, { name: '北支所' });
    const slot = await createSlot(t.db, { counterId: counter.id, date: '2026-12-10' });
    const { holder, noticeId } = await createCardHolder(t.db, { counterId: counter.id, status: 'notice_sent' });
    await t.db.prisma.cardHolder.update({ where: { id: holder.id }, data: { status: 'booked' } });
    const booking = await createBooking(t.db, { slotId: slot.id, cardHolderId: holder.id });
    const file = sjis(csvText([[noticeId, '19700401', '試験 太郎', 'ｼｹﾝ ﾀﾛｳ', 'K-1', counter.code, '北-箱3-12', '20261101', '20270531']]));
    const batch = await settled(t.db, await uploadOk(agent, file));
    expect(batch).toMatchObject({ createdCount: 0, updatedCount: 1 });
    await commit(agent, t.db, batch.id);
    const linked = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId }, include: { bookings: true } });
    expect(linked).toMatchObject({ id: holder.id, status: 'booked', storagePlace: '北-箱3-12' });
    expect(linked.bookings.map((entry) => [entry.id, entry.status])).toEqual([[booking.id, 'active']]);
    const detail = await agent.get(`/staff/cards/${holder.id}`);
    expect(detail.text).toMatch(new RegExp(`${booking.code}</td>.*北支所</td><td>北-箱3-12</td>`, 's'));
  });

  it('When a fixed-width profile is used, then fields are cut by byte position (full-width characters take two bytes in Shift_JIS)', async () => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const admin = await staffAgent(t.app, user.loginId, password);
    const form = await admin.get('/staff/cards/profiles/new');
    const token = form.text.match(/name="_csrf" value="([^"]+)"/)![1];
    const saved = await admin.post('/staff/cards/profiles/new').type('form').send({
      _csrf: token,
      name: '固定長(テスト市)',
      format: 'fixed',
      encoding: 'sjis',
      hasHeader: 'no',
      dateFormat: 'YYYYMMDD',
      col_noticeId: '1,16',
      col_birthDate: '17,8',
      col_name: '25,20',
      col_nameKana: '45,20',
      col_storagePlace: '65,10',
    });
    expect(saved.status, saved.text).toBe(303);
    const profile = await t.db.prisma.importProfile.findUniqueOrThrow({ where: { name: '固定長(テスト市)' } });
    const pad = (text: string, bytes: number) => Buffer.concat([iconv.encode(text, 'CP932'), Buffer.alloc(bytes - iconv.encode(text, 'CP932').length, 0x20)]);
    const line = (n: number, name: string, kana: string) =>
      Buffer.concat([pad(noticeIdFor(n), 16), pad('19851224', 8), pad(name, 20), pad(kana, 20), pad(`F-${n}`, 10), Buffer.from('\r\n')]);
    const batch = await settled(
      t.db,
      await uploadOk(agent, Buffer.concat([line(500, '髙山 﨑子', 'ﾀｶﾔﾏ ｻｷｺ'), line(501, '試験 次郎', 'ｼｹﾝ ｼﾞﾛｳ')]), 'fixed.dat', { profileId: String(profile.id) }),
    );
    expect(batch).toMatchObject({ status: 'previewed', createdCount: 2, errorCount: 0 });
    await commit(agent, t.db, batch.id);
    const holder = await t.db.prisma.cardHolder.findUniqueOrThrow({ where: { noticeId: noticeIdFor(500) } });
    expect([holder.name, holder.nameKana, holder.storagePlace]).toEqual(['髙山 﨑子', 'タカヤマ サキコ', 'F-500']);
  });

  it('When a line opens a quote that is never closed, then the batch fails and the staff page names the line where the quote opened', async () => {
    const lines = [row(600), [], row(602, { 2: '"試験 六〇二' }), row(603), row(604)]; // line 3 is blank; the quote opens on line 4 and swallows the rest
    const batch = await settled(t.db, await uploadOk(agent, Buffer.from(csvText(lines), 'utf8'), 'quote.csv'));
    expect(batch).toMatchObject({ status: 'failed', failure: 'cards.import.unclosedQuote', failureParams: { line: 4 } });
    const page = await agent.get(`/staff/cards/imports/${batch.id}`);
    expect(page.text).toContain('4行目');
    expect(page.text).toContain('閉じられていません');
  });

  it('When the quote that is never closed opens after thousands of lines were already streamed to the database, then the batch fails naming that line and keeps no staged row', async () => {
    const lines = Array.from({ length: 6000 }, (_, index) => row(10_000 + index));
    lines[4999] = row(14_999, { 2: '"試験 開いたまま' }); // file line 5,001 (after the header)
    const batch = await settled(t.db, await uploadOk(agent, sjis(csvText(lines)), 'late-quote.csv'));
    expect(batch).toMatchObject({ status: 'failed', failure: 'cards.import.unclosedQuote', failureParams: { line: 5001 } });
    expect(await t.db.prisma.importRow.count({ where: { batchId: batch.id } })).toBe(0);
    expect((await agent.get(`/staff/cards/imports/${batch.id}`)).text).toContain('5001行目');
    const next = await settled(t.db, await uploadOk(agent, sjis(csvText([row(16_001)])), 'after.csv'));
    expect(next).toMatchObject({ status: 'previewed', createdCount: 1, errorCount: 0 });
  });

  it('When a NUL byte sits in a name far into the file (past the upload check), then the preview fails with its Japanese message and keeps no staged row', async () => {
    const lines = Array.from({ length: 3000 }, (_, index) => row(20_000 + index));
    lines[2500] = row(22_500, { 2: '試験\u0000太郎' });
    const batch = await settled(t.db, await uploadOk(agent, sjis(csvText(lines)), 'nul.csv'));
    expect(batch).toMatchObject({ status: 'failed', failure: 'cards.import.readFailed' });
    expect(await t.db.prisma.importRow.count({ where: { batchId: batch.id } })).toBe(0);
    expect((await agent.get(`/staff/cards/imports/${batch.id}`)).text).toContain('ファイルを読み取れませんでした');
  });

  it('When a file is larger than IMPORT_MAX_BYTES or is not a text file, then it is refused with a clear message and nothing is kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cards-refused-'));
    const small = await createTestApp({ IMPORT_MAX_BYTES: '2048', IMPORT_DIR: dir });
    const { user, password } = await createStaff(small.db, { role: 'staff' });
    const clerk = await staffAgent(small.app, user.loginId, password);
    const big = await upload(clerk, Buffer.alloc(100 * 1024, 0x41), 'big.csv');
    expect(big.status).toBe(413);
    expect(big.text).toContain('ファイルが大きすぎます');
    const xlsx = await upload(clerk, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100, 1)]), 'cards.xlsx', {
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    expect(xlsx.status).toBe(415);
    expect(xlsx.text).toContain('テキストファイル');
    expect(await small.db.prisma.importBatch.count()).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('When a file moves a card that a booking elsewhere has asked for to that very counter, then the request is called off; moved to a third counter, it is sent from there', async () => {
    const home = await t.db.prisma.counter.findUniqueOrThrow({ where: { code: counterCode } });
    const [ward, annex] = [await createCounter(t.db, { name: '北区役所' }), await createCounter(t.db, { name: '分室' })];
    const slot = await createSlot(t.db, { counterId: ward.id, date: '2027-03-01' });
    const cards = [
      await createCardHolder(t.db, { noticeId: noticeIdFor(700), counterId: home.id }),
      await createCardHolder(t.db, { noticeId: noticeIdFor(701), counterId: home.id }),
    ];
    for (const card of cards)
      await transaction(t.db, STAFF_ACTOR, (tx) =>
        bookSlot(tx, { slotId: slot.id, cardHolderIds: [card.holder.id], channel: 'phone', by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
      );
    const batchId = await uploadOk(agent, sjis(csvText([row(700, { 5: ward.code }), row(701, { 5: annex.code })])));
    expect(await settled(t.db, batchId)).toMatchObject({ status: 'previewed', updatedCount: 2 });
    expect(await commit(agent, t.db, batchId)).toMatchObject({ status: 'committed' });
    const transfers = (id: number) => t.db.prisma.cardTransfer.findMany({ where: { cardHolderId: id }, orderBy: { id: 'asc' } });
    expect((await transfers(cards[0].holder.id)).map((row) => [row.status, row.closeReason])).toEqual([['cancelled', 'site_changed']]);
    expect((await transfers(cards[1].holder.id)).map((row) => [row.status, row.fromCounterId, row.toCounterId])).toEqual([
      ['cancelled', home.id, ward.id],
      ['requested', annex.id, ward.id],
    ]);
  });
});
