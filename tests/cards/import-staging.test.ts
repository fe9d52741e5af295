// Each staged line is written as a line of COPY text (import-staging.ts), built by hand for speed.
// PostgreSQL itself reads these lines back here: every value, however odd (tabs, backslashes,
// line breaks, NULLs, JSON with quotes), comes out of import_rows exactly as it went in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import type { CheckedRow } from '../../src/features/cards/card-row.js';
import { stagingLine, STAGING_COPY, type StagedLine } from '../../src/features/cards/import-staging.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let batchId: number;
const counters = new Map([['HONCHO', 0]]);

beforeAll(async () => {
  db = await createTestDatabase(2);
  const counter = await db.prisma.counter.create({ data: { code: 'HONCHO', name: '本庁舎' } });
  counters.set('HONCHO', counter.id);
  const profile = await db.prisma.importProfile.findFirstOrThrow();
  batchId = (
    await db.prisma.importBatch.create({ data: { storageKey: 'staging-test', fileName: 'x.csv', sha256: 'x', sizeBytes: 1n, profileId: profile.id, uploadedBy: 'system:test' } })
  ).id;
});
afterAll(() => db.close());

/** The values every good line here shares. */
const shared = {
  birthKey: 'key_-AZ09',
  nameKana: 'シケン\tタロウ',
  cardNumber: null,
  counterCode: 'HONCHO',
  storagePlace: '箱\\1',
  noticeSentOn: '2026-11-01',
  noticeValidUntil: null,
};
const good = (name: string, extra: Partial<Extract<CheckedRow, { ok: true }>['row']> = {}): CheckedRow => ({ ok: true, row: { noticeId: '', name, ...shared, ...extra } });

/** A good line's values as staged, and a bad line's: nothing kept but its notice ID and why. */
const held = { ...shared, error: null, errorParams: null };
const refused = { birthKey: '', name: '', nameKana: '', cardNumber: null, counterCode: '', counterId: null, storagePlace: '', noticeSentOn: null, noticeValidUntil: null };

describe('staging lines as COPY text', () => {
  it('When lines with tabs, backslashes, CR and LF, NULLs, an unknown counter, a bad row and a short line are copied in, then import_rows holds each value exactly as given', async () => {
    const lines: StagedLine[] = [
      { line: 2, checked: good('試験\t太郎\\n\r\n\\N', { noticeId: '000010000000002' }) },
      { line: 3, checked: good('\\', { noticeId: '000010000000003', cardNumber: 'C-1', noticeValidUntil: '2027-05-31' }) },
      { line: 4, checked: good('試験', { noticeId: '000010000000004', counterCode: 'NOPE\t"x"' }) },
      { line: 5, checked: { ok: false, noticeId: '12\\34', problem: { field: 'birthDate', key: 'cards.row.badBirthDate', params: { value: 'a"b\\c\td' } } } },
      { line: 6, checked: null, shortOf: 'storagePlace' },
    ];
    const copied = lines.map((line) => stagingLine(batchId, line, counters));
    expect(copied.map((line) => line.bad)).toEqual([false, false, true, true, true]);
    await transaction(db, { type: 'system', id: 'test' }, (tx) => tx.copyFrom(STAGING_COPY, [copied.map((line) => line.text).join('')]));
    const rows = await db.prisma.importRow.findMany({ where: { batchId }, orderBy: { line: 'asc' } });
    expect(
      rows.map(
        ({ batchId: _batch, line, noticeId, birthKey, name, nameKana, cardNumber, counterCode, counterId, storagePlace, noticeSentOn, noticeValidUntil, error, errorParams }) => ({
          line,
          noticeId,
          birthKey,
          name,
          nameKana,
          cardNumber,
          counterCode,
          counterId,
          storagePlace,
          noticeSentOn: noticeSentOn?.toISOString().slice(0, 10) ?? null,
          noticeValidUntil: noticeValidUntil?.toISOString().slice(0, 10) ?? null,
          error,
          errorParams,
        }),
      ),
    ).toEqual([
      { line: 2, ...held, counterId: counters.get('HONCHO'), noticeId: '000010000000002', name: '試験\t太郎\\n\r\n\\N' },
      { line: 3, ...held, counterId: counters.get('HONCHO'), noticeId: '000010000000003', name: '\\', cardNumber: 'C-1', noticeValidUntil: '2027-05-31' },
      { line: 4, ...refused, noticeId: '000010000000004', error: 'cards.row.unknownCounter', errorParams: { field: 'counterCode', code: 'NOPE\t"x"' } },
      { line: 5, ...refused, noticeId: '12\\34', error: 'cards.row.badBirthDate', errorParams: { field: 'birthDate', value: 'a"b\\c\td' } },
      { line: 6, ...refused, noticeId: '', error: 'cards.row.columns', errorParams: { field: 'storagePlace' } },
    ]);
  });
});
