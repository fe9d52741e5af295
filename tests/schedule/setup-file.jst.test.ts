import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { capacityReport } from '../../src/features/schedule/capacity.js';
import { exportSetup, loadSetup, parseSetupFile, type CitySetup } from '../../src/features/schedule/setup-file.js';
import { migrationsUpToDate } from '../../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { inTx } from '../helpers/tx.js';

const EXAMPLE = 'examples/schedule/large-city.yaml';
const TODAY = '2026-12-20';
const actor = { type: 'system' as const, id: 'test' };

let db: TestDatabase;
let exampleText: string;
beforeAll(async () => {
  db = await createTestDatabase();
  exampleText = await readFile(EXAMPLE, 'utf8');
});

function parsed(text: string): CitySetup {
  const result = parseSetupFile(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.setup;
}

async function capacityByCounter(from: string, to: string): Promise<Record<string, number>> {
  const rows = await db.pool.query(
    `SELECT c.code, sum(s.capacity)::int AS capacity FROM slots s JOIN counters c ON c.id = s.counter_id
      WHERE s.date BETWEEN $1 AND $2 GROUP BY c.code`,
    [from, to],
  );
  return Object.fromEntries(rows.rows.map((row) => [row.code, row.capacity]));
}

/**
 * January 2027 worked out by hand from what the example file says, not from the code under test:
 * closed on 1/1 (元日, also year-end), 1/2-1/3 (year-end), 1/11 (成人の日), 1/17 (Sunday after the
 * third Saturday 1/16).
 */
function expectedJanuary2027(): Record<string, number> {
  const closed = new Set([1, 2, 3, 11, 17]);
  const count = (weekdays: number[]) => {
    let days = 0;
    for (let day = 1; day <= 31; day += 1) if (!closed.has(day) && weekdays.includes(new Date(Date.UTC(2027, 0, day)).getUTCDay())) days += 1;
    return days;
  };
  const weekdays = count([1, 2, 3, 4, 5]);
  const wardWindows: Record<string, number> = { chuo: 6, kita: 5, higashi: 4, minami: 4, nishi: 3, minato: 3, aoba: 3, wakaba: 2, midori: 2, sakura: 2, kawabe: 1, oka: 1 };
  const expected: Record<string, number> = {};
  for (const [code, windows] of Object.entries(wardWindows)) expected[code] = weekdays * 28 * windows; // 28 people per window per day
  // Center: weekday 9-17 in 30 min (16 slots) x 10 windows x 2; Mon/Wed 17-19 (4 slots) x 8; weekends 9-12 + 13-17 hourly (7 slots) x 12.
  expected.center = weekdays * 16 * 20 + count([1, 3]) * 4 * 8 + count([0, 6]) * 7 * 12;
  return expected;
}

describe('the example city file', () => {
  it('When the example is loaded, then each counter has the January 2027 capacity its rules imply', async () => {
    const result = await inTx(db, (tx) => loadSetup(tx, parsed(exampleText), TODAY), actor);
    expect(result.counters).toBe(13);
    const expected = expectedJanuary2027();
    expect(expected.chuo).toBe(19 * 28 * 6); // sanity of the hand count: 19 open weekdays
    expect(await capacityByCounter('2027-01-01', '2027-01-31')).toEqual(expected);
    const report = await capacityReport(db.prisma, '2027-01', '2027-01');
    expect(Object.fromEntries(report.map((row) => [row.counterCode, row.capacity]))).toEqual(expected);
    expect(report.find((row) => row.counterCode === 'chuo')!.openDays).toBe(19);
  });

  it('When the example is loaded, then the extra Saturday openings of the north ward appear in March and the load is audited', async () => {
    const kita = await db.prisma.counter.findUniqueOrThrow({ where: { code: 'kita' } });
    const saturday = await db.pool.query(`SELECT count(*)::int AS slots, sum(capacity)::int AS capacity FROM slots WHERE counter_id = $1 AND date = '2027-03-13'`, [kita.id]);
    expect(saturday.rows[0]).toEqual({ slots: 6, capacity: 6 * 2 * 5 });
    expect(await db.prisma.auditLog.count({ where: { action: 'schedule.setup.load' } })).toBeGreaterThan(0);
  });

  it('When the setup is exported and loaded again, then it parses and changes no slot', async () => {
    const exported = await exportSetup(db.prisma, TODAY);
    const again = parsed(exported);
    expect(again.counters.map((counter) => counter.fields.code)).toEqual(parsed(exampleText).counters.map((counter) => counter.fields.code));
    const result = await inTx(db, (tx) => loadSetup(tx, again, TODAY), actor);
    expect(result.regeneration).toEqual({ written: 0, conflicts: 0 });
  });

  it('When the example is loaded, then its procedures exist with their settings and each counter offers the ones it lists', async () => {
    const procedures = await db.prisma.procedure.findMany({ where: { retiredAt: null }, orderBy: { displayOrder: 'asc' } });
    expect(procedures.map((procedure) => procedure.code)).toEqual(['pickup', 'application', 'card-renewal', 'cert-renewal', 'pin-reset', 'express']);
    expect(procedures.find((procedure) => procedure.code === 'application')).toMatchObject({ needsNoticeId: false, needsStoredCard: false, minutes: 30, perSlotLimit: 2 });
    expect(procedures.find((procedure) => procedure.code === 'pin-reset')).toMatchObject({ sameDayAllowed: true, perDayLimit: 20, opensDaysAhead: null });
    const offers = async (code: string) =>
      (await db.prisma.counterProcedure.findMany({ where: { counter: { code } }, orderBy: { procedureCode: 'asc' } })).map((row) => row.procedureCode);
    expect(await offers('center')).toHaveLength(6);
    expect(await offers('nishi')).toEqual(['pickup', 'pin-reset']);
    expect(await offers('aoba')).toEqual(['pickup']); // no procedures: key, the pickup only
  });

  it('When the setup with procedures is exported, loaded and exported again, then both exports are identical', async () => {
    const first = await exportSetup(db.prisma, TODAY);
    expect(first).toContain('\nprocedures:\n  - code: pickup\n');
    expect(first).toContain('    procedures:\n      - pickup\n      - pin-reset\n');
    await inTx(db, (tx) => loadSetup(tx, parsed(first), TODAY), actor);
    expect(await exportSetup(db.prisma, TODAY)).toBe(first);
  });

  it('When a file leaves out a procedure, then that procedure stays as it is, and a retired one a counter offered stays offered', async () => {
    await db.prisma.procedure.create({ data: { code: 'home-visit', name: '出張申請受付', minutes: 60, displayOrder: 99 } });
    await db.prisma.procedure.update({ where: { code: 'express' }, data: { retiredAt: new Date() } });
    const file = [
      'procedures:',
      '  - code: pin-reset',
      '    name: 暗証番号の再設定',
      '    minutes: 10',
      'counters:',
      '  - code: center',
      '    name: 交付センター',
      '    procedures: [pickup, pin-reset]',
    ].join('\n');
    await inTx(db, (tx) => loadSetup(tx, parsed(file), TODAY), actor);
    expect(await db.prisma.procedure.findUniqueOrThrow({ where: { code: 'home-visit' } })).toMatchObject({ name: '出張申請受付', minutes: 60, retiredAt: null });
    expect(await db.prisma.procedure.findUniqueOrThrow({ where: { code: 'pin-reset' } })).toMatchObject({
      name: '暗証番号の再設定',
      minutes: 10,
      sameDayAllowed: null,
      documents: [],
    });
    const center = await db.prisma.counterProcedure.findMany({ where: { counter: { code: 'center' } }, orderBy: { procedureCode: 'asc' } });
    expect(center.map((row) => row.procedureCode)).toEqual(['express', 'pickup', 'pin-reset']);
  });
});

describe('validation with line numbers', () => {
  it('When a file has mistakes, then each is reported with its line and nothing is changed', async () => {
    const before = await db.prisma.openingRule.count();
    const text = [
      'counters:', //                      1
      '  - code: test-ward', //            2
      '    name: 試験区役所', //            3
      '    windows: 2', //                 4
      '    rules:', //                     5
      '      - label: 平日', //            6
      '        days: [mon, tuesday]', //   7
      '        hours: "09:00-08:00"', //   8
      '        slotMinutes: 30', //        9
      '        capacity: 4', //            10
      '        validFrom: 2027-01-01', //  11
    ].join('\n');
    const result = parseSetupFile(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.line)).toEqual([7]);
    expect(result.errors[0].message).toContain('曜日は sun, mon');
    const fixedDays = parseSetupFile(text.replace('tuesday', 'tue'));
    expect(fixedDays.ok ? [] : fixedDays.errors.map((error) => [error.line, error.message])).toEqual([[8, '終了時刻は開始時刻より後にしてください。(counters[1].rules[1].hours)']]);
    expect(await db.prisma.openingRule.count()).toBe(before);
  });

  it('When the YAML itself is broken or a key is unknown, then the line is named', () => {
    const broken = parseSetupFile('counters:\n  - code: a\n    name: [unclosed\n');
    expect(broken.ok ? 0 : broken.errors[0].line).toBeGreaterThanOrEqual(3);
    const unknown = parseSetupFile('counters:\n  - code: a\n    name: A\n    windows: 1\n    window_count: 3\n');
    expect(unknown.ok ? [] : unknown.errors.map((error) => [error.line, error.message])).toEqual([[5, '使えない項目名があります: window_count(counters[1].window_count)']]);
  });

  it('When the YAML syntax is broken, then the message is in Japanese and says what is wrong, with its line and column', () => {
    const broken = parseSetupFile('counters:\n  - code: a\n     name: A\n    windows: 1\n');
    expect(broken.ok).toBe(false);
    if (broken.ok) return;
    expect(broken.errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect(broken.errors[0].message).toMatch(/^YAMLの書き方に誤りがあります: .+/);
    expect(broken.errors[0].message).not.toMatch(/[A-Z]{3,}_[A-Z]+/); // no parser code such as BAD_INDENT
  });

  const ruleLines = (label: string, days: string, hours: string, extra: string[] = []) => [
    `      - label: ${label}`,
    `        days: ${days}`,
    `        hours: "${hours}"`,
    '        slotMinutes: 30',
    ...extra,
    '        validFrom: 2027-01-01',
  ];
  const counterFile = (rules: string[], head = ['    windows: 2']) => ['counters:', '  - code: rule-check', '    name: 試験', ...head, '    rules:', ...rules].join('\n');

  it('When a time is 25:00, then it is told that the time does not exist (not to use the form 09:00)', () => {
    const result = parseSetupFile(counterFile(ruleLines('夜間', '[mon]', '17:00-25:00', ['        capacity: 4'])));
    expect(result.ok ? [] : result.errors.map((error) => [error.line, error.message])).toEqual([
      [8, '存在しない時刻です。00:00〜24:00 の範囲で入力してください。(counters[1].rules[1].hours)'],
    ]);
  });

  it('When two rules of a counter overlap on a weekday (09:00-09:40 for 48 and 09:30-10:00 for 10), then the second is refused at its hours line and nothing is loaded', () => {
    const text = counterFile([
      ...ruleLines('1F', '[mon, tue]', '09:00-09:40', ['        slotMinutes: 40', '        capacity: 48']).filter((line) => line !== '        slotMinutes: 30'),
      ...ruleLines('3F', '[tue, wed]', '09:30-10:00', ['        capacity: 10']),
    ]);
    const result = parseSetupFile(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].line).toBe(text.split('\n').indexOf('        hours: "09:30-10:00"') + 1);
    expect(result.errors[0].message).toContain('ルール「1F」(月・火 9:00〜9:40、2027-01-01〜)と曜日・有効期間・時間帯が重なっています');
  });

  it('When two rules start at the same time on the same weekday, then the second is refused instead of silently dropped', () => {
    const result = parseSetupFile(
      counterFile([...ruleLines('A', '[fri]', '09:00-10:00', ['        capacity: 4']), ...ruleLines('B', '[fri]', '09:00-09:30', ['        capacity: 6'])]),
    );
    expect(result.ok ? [] : result.errors.map((error) => error.message)).toEqual([expect.stringContaining('ルール「A」')]);
  });

  it('When rules only touch (09:00-12:00 and 12:00-13:00) or fall on other weekdays or periods, then they are accepted', () => {
    const touching = [...ruleLines('午前', '[mon]', '09:00-12:00', ['        capacity: 4']), ...ruleLines('昼', '[mon]', '12:00-13:00', ['        capacity: 4'])];
    const otherDay = ruleLines('火曜', '[tue]', '09:00-12:00', ['        capacity: 4']);
    const later = [...ruleLines('来年度', '[mon]', '09:00-12:00', ['        capacity: 9']), '        validTo: 2027-12-31'].map((line) => line.replace('2027-01-01', '2027-04-01'));
    const earlier = [...ruleLines('今年度', '[wed]', '09:00-12:00', ['        capacity: 9']), '        validTo: 2027-03-31'];
    expect(parseSetupFile(counterFile([...touching, ...otherDay])).ok).toBe(true);
    expect(parseSetupFile(counterFile([...earlier, ...later])).ok).toBe(true);
  });

  it('When a counter has fixed capacities, then windows may be left out; with peoplePerWindow it is asked for', () => {
    const fixed = parseSetupFile(counterFile(ruleLines('平日', '[mon]', '09:00-12:00', ['        capacity: 4']), []));
    expect(fixed.ok ? fixed.setup.counters[0].fields.windows : fixed.errors).toBe(1);
    const perWindow = parseSetupFile(counterFile(ruleLines('平日', '[mon]', '09:00-12:00', ['        peoplePerWindow: 2']), []));
    expect(perWindow.ok ? [] : perWindow.errors.map((error) => [error.line, error.message])).toEqual([
      [2, 'peoplePerWindow(窓口あたりの人数)を使うときは、交付場所の windows(窓口数)を書いてください。(counters[1])'],
    ]);
  });
});

describe('procedures in the file', () => {
  const file = [
    'procedures:', //                        1
    '  - code: pin-reset', //                2
    '    name: 暗証番号の再設定', //          3
    '    minutes: 0', //                     4
    '    perDayLimit: 0', //                 5
    '  - code: Cert_Renewal', //             6
    '    name: 電子証明書の更新', //          7
    'counters:', //                          8
    '  - code: center', //                   9
    '    name: 交付センター', //              10
    '    procedures:', //                    11
    '      - pickup', //                     12
    '      - pin-rest', //                   13
  ].join('\n');

  it('When a file has a bad procedure and a counter names an unknown one, then each is reported at its line and nothing is loaded', async () => {
    const before = await db.prisma.procedure.findMany({ orderBy: { id: 'asc' } });
    const result = parseSetupFile(file);
    expect(result.ok ? [] : result.errors.map((error) => [error.line, error.message])).toEqual([
      [4, '指定できる範囲の数値を入力してください。(procedures[1].minutes)'],
      [5, '指定できる範囲の数値を入力してください。(procedures[1].perDayLimit)'],
      [6, '識別コードは半角英小文字・数字・ハイフンで入力してください(先頭は英数字、40文字まで)。(procedures[2].code)'],
      [13, '手続き「pin-rest」は procedures に書かれていません(書けるのは procedures の code と pickup です)。(counters[1].procedures[2])'],
    ]);
    expect(await db.prisma.procedure.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('When a counter lists no procedure or a procedure repeats a code, then the lines are named', () => {
    const empty = parseSetupFile(
      ['procedures:', '  - code: a1', '    name: A', '  - code: a1', '    name: B', 'counters:', '  - code: c', '    name: C', '    procedures: []'].join('\n'),
    );
    expect(empty.ok ? [] : empty.errors.map((error) => [error.line, error.message])).toEqual([
      [4, '識別コード「a1」が2回以上使われています。(procedures[2].code)'],
      [9, '受け付ける手続きを1つ以上選んでください。(counters[1].procedures)'],
    ]);
  });
});

describe('schedule:load start-up', () => {
  it('When every migration folder is recorded as applied, then the quick check says so; with one missing, the engine is needed', async () => {
    expect(await migrationsUpToDate(db.url)).toBe(true);
    await db.pool.query(`DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)`);
    expect(await migrationsUpToDate(db.url)).toBe(false);
  });
});
