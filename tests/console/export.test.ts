// The bookings CSV: filters, Excel encodings (UTF-8 BOM, Shift_JIS) checked by parsing the
// bytes back, formula neutralisation, counter scoping, roles, and the audit entry.
import { parse } from 'csv-parse/sync';
import { transaction } from '../../src/db/transaction.js';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInJapan } from '../../src/lib/jst.js';
import { bookSlot } from '../../src/features/booking/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { binaryBody } from '../helpers/http.js';
import { auditActions, counterWithSlots, holderAt, staffOf, type Agent } from './helpers.js';

let t: TestApp;
const day = addDays(todayInJapan(), 8);
const baseUrl = 'http://127.0.0.1';
let counterId: number;
let otherCounterId: number;
const codes: Record<string, string> = {};

async function booked(key: string, slotId: number, channel: 'web' | 'phone' | 'counter', name: string) {
  const slot = await t.db.prisma.slot.findUniqueOrThrow({ where: { id: slotId } });
  const person = await holderAt(t, slot.counterId);
  await t.db.prisma.cardHolder.update({ where: { id: person.holder.id }, data: { name, storagePlace: '=1+2' } });
  const group = await transaction(t.db, { type: 'system', id: 'test' }, (tx) =>
    bookSlot(tx, { slotId, cardHolderIds: [person.holder.id], channel, email: `${key}@example.jp`, baseUrl, by: null }),
  );
  codes[key] = group.groupCode;
}

beforeAll(async () => {
  t = await createTestApp();
  const main = await counterWithSlots(t, day, [
    { startMinute: 540, capacity: 3 },
    { startMinute: 840, capacity: 3 },
  ]);
  const later = await t.db.prisma.slot.create({
    data: {
      counterId: main.counter.id,
      date: new Date(`${addDays(day, 3)}T00:00:00Z`),
      startsAt: new Date(main.slots[0].startsAt.getTime() + 3 * 86_400_000),
      endsAt: new Date(main.slots[0].endsAt.getTime() + 3 * 86_400_000),
      capacity: 3,
    },
  });
  const other = await counterWithSlots(t, day, [{ startMinute: 540, capacity: 3 }]);
  counterId = main.counter.id;
  otherCounterId = other.counter.id;
  await booked('morningWeb', main.slots[0].id, 'web', '髙橋 花子');
  await booked('morningPhone', main.slots[0].id, 'phone', '山﨑 次郎');
  await booked('afternoon', main.slots[1].id, 'counter', '佐藤 三郎');
  await booked('laterDay', later.id, 'web', '鈴木 四郎');
  await booked('otherCounter', other.slots[0].id, 'web', '田中 五郎');
});

async function csv(agent: Agent, query: string) {
  const response = await agent.get(`/staff/console/export.csv?${query}`).buffer(true).parse(binaryBody);
  return { response, bytes: response.body as Buffer };
}

const codeColumn = (rows: string[][]) =>
  rows
    .slice(1)
    .map((row) => row[0])
    .sort();

describe('bookings CSV', () => {
  it('When exported with defaults, then it is UTF-8 with a BOM, parses back to the bookings of the range with a header, and formulas are neutralised', async () => {
    const { user, agent } = await staffOf(t, 'staff');
    const { response, bytes } = await csv(agent, `from=${day}&to=${addDays(day, 5)}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('charset=UTF-8');
    expect(response.headers['content-disposition']).toContain('attachment');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes.subarray(3).toString('utf8')) as string[][];
    expect(rows[0]).toEqual([
      '予約番号',
      '予約日',
      '時間',
      '交付場所コード',
      '交付場所',
      '通知書番号',
      '氏名',
      '氏名(カナ)',
      '保管場所',
      '予約の状態',
      '受付経路',
      'メールアドレス',
      '予約受付日時',
      '手続き',
    ]);
    expect(codeColumn(rows)).toEqual([codes.morningWeb, codes.morningPhone, codes.afternoon, codes.laterDay, codes.otherCounter].sort());
    const phone = rows.find((row) => row[0] === codes.morningPhone)!;
    expect(phone.slice(1, 3)).toEqual([day, '9:00']);
    expect(phone[6]).toBe('山﨑 次郎');
    expect(phone[8]).toBe("'=1+2");
    expect(phone.slice(9, 12)).toEqual(['予約中', '電話', 'morningPhone@example.jp']);
    expect(phone[13]).toBe('マイナンバーカードの受け取り');
    const audit = (await auditActions(t, user.id)).find((row) => row.action === 'console.export');
    expect(audit?.detail).toMatchObject({ filter: { from: day, to: addDays(day, 5) } });
  });

  it('When Shift_JIS is asked for, then the bytes decode as CP932 with the same names (髙, 﨑)', async () => {
    const { agent } = await staffOf(t, 'admin');
    const { response, bytes } = await csv(agent, `from=${day}&to=${day}&counterId=${counterId}&encoding=sjis`);
    expect(response.headers['content-type']).toContain('Shift_JIS');
    expect([...bytes.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(iconv.decode(bytes, 'CP932')) as string[][];
    expect(
      rows
        .slice(1)
        .map((row) => row[6])
        .sort(),
    ).toEqual(['佐藤 三郎', '山﨑 次郎', '髙橋 花子'].sort());
  });

  it('When filtered by counter, time, status and channel, then only the matching bookings are in the file', async () => {
    const { agent } = await staffOf(t, 'staff');
    const range = `from=${day}&to=${addDays(day, 5)}&counterId=${counterId}`;
    expect(codeColumn(parse((await csv(agent, range)).bytes.subarray(3).toString('utf8')))).toEqual([codes.morningWeb, codes.morningPhone, codes.afternoon, codes.laterDay].sort());
    expect(codeColumn(parse((await csv(agent, `${range}&timeFrom=12:00`)).bytes.subarray(3).toString('utf8')))).toEqual([codes.afternoon]);
    expect(codeColumn(parse((await csv(agent, `${range}&timeTo=12:00&channel=web`)).bytes.subarray(3).toString('utf8')))).toEqual([codes.morningWeb, codes.laterDay].sort());
    expect(codeColumn(parse((await csv(agent, `${range}&status=no_show`)).bytes.subarray(3).toString('utf8')))).toEqual([]);
  });

  it('When the date range is backwards or a date is malformed, then it is refused with a message and no file', async () => {
    const { agent } = await staffOf(t, 'staff');
    const backwards = await agent.get(`/staff/console/export.csv?from=${day}&to=${addDays(day, -1)}`);
    expect(backwards.status).toBe(400);
    expect(backwards.text).toContain('終了日は開始日以降');
    expect((await agent.get('/staff/console/export.csv?from=2026-13-45&to=2026-12-01')).status).toBe(400);
  });

  it('When staff limited to one counter export, then only that counter is in the file; asking for another counter is refused', async () => {
    const { agent } = await staffOf(t, 'staff', [otherCounterId]);
    expect(codeColumn(parse((await csv(agent, `from=${day}&to=${addDays(day, 5)}`)).bytes.subarray(3).toString('utf8')))).toEqual([codes.otherCounter]);
    expect((await agent.get(`/staff/console/export.csv?from=${day}&to=${day}&counterId=${counterId}`)).status).toBe(403);
  });

  it('When an operator asks for the export, then it is refused (operators never bulk-export)', async () => {
    const { user, agent } = await staffOf(t, 'operator');
    expect((await agent.get(`/staff/console/export.csv?from=${day}&to=${day}`)).status).toBe(403);
    expect((await auditActions(t, user.id)).some((row) => row.action === 'console.export')).toBe(false);
  });
});
