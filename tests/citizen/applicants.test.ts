// Who books a procedure without a notice ID: the identity fields the city chose, normalised so
// one person always finds the one row, keyed so the database never holds a birth date, and
// made once even when the same person's requests arrive at the same moment.
import { describe, expect, it } from 'vitest';
import {
  applicantBirthKey,
  birthDateOf,
  findOrCreateApplicant,
  identityForms,
  normaliseKana,
  personKey,
  phoneDigitsOf,
  type Identity,
} from '../../src/features/citizen/applicants.js';
import { transaction } from '../../src/db/transaction.js';
import { parseForm } from '../../src/lib/validation.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createTestDatabase } from '../helpers/db.js';

const db = await createTestDatabase(12);
pinClock(WORKING_WEDNESDAY); // today in Japan: 2027-01-13
const PEPPER = 'test-pepper-test-pepper-test-pepper-x';

const identify = (identity: Identity) =>
  transaction(db, { type: 'citizen', id: 'unknown', ip: '192.0.2.7' }, (tx) => findOrCreateApplicant(tx, PEPPER, identity), { models: false });
const applicantRows = async () =>
  (await db.pool.query<{ id: number; name_kana: string; birth_key: string | null; phone: string | null }>(`SELECT * FROM applicants ORDER BY id`)).rows;

describe('applicant identity: normalising what people type', () => {
  const normalisers = { name: normaliseKana, 'birth date': birthDateOf, phone: phoneDigitsOf } as const;
  it.each([
    ['name', 'やまだ たろう', 'ヤマダタロウ'],
    ['name', 'ヤマダ　タロウ', 'ヤマダタロウ'],
    ['name', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'ヤマダタロウ'],
    ['name', ' スミス・ジョン ', 'スミス・ジョン'],
    ['name', 'ゔぁーじにあ', 'ヴァージニア'],
    ['birth date', '19900401', '1990-04-01'],
    ['birth date', '１９９００４０１', '1990-04-01'],
    ['birth date', '1990-04-01', '1990-04-01'],
    ['birth date', '20000229', '2000-02-29'],
    ['birth date', '20270113', '2027-01-13'],
    ['phone', '090-1234-5678', '09012345678'],
    ['phone', '０３－１２３４－５６７８', '0312345678'],
    ['phone', '0120 000 000', '0120000000'],
  ] as const)('When the %s is typed as %j, then it is kept as %j', (field, typed, kept) => {
    expect(normalisers[field](typed)).toBe(kept);
  });

  it.each([
    ...(['19900431', '19010229', '18991231', '20270114', '1990041', '199004011', 'abcdefgh'] as const).map((typed) => ['birth date', typed] as const),
    ...(['9012345678', '090-1234-56789', '03-1234-567', '+81-90-1234-5678', '090-abcd-5678'] as const).map((typed) => ['phone', typed] as const),
  ])('When the %s %j is not a real one (a past day since 1900, a Japanese number), then it is refused', (field, typed) => {
    expect(normalisers[field](typed)).toBeNull();
  });
});

describe('applicant identity: the forms', () => {
  it('When the kana-birth form is filled in, then it gives the normalised name and the date', () => {
    expect(parseForm(identityForms['kana-birth'], { nameKana: 'やまだ はなこ', birthDate: '１９８５１２３１' })).toEqual({
      ok: true,
      data: { mode: 'kana-birth', nameKana: 'ヤマダハナコ', birthDate: '1985-12-31' },
    });
  });

  it('When the phone form is filled in, then it gives the name and the digits', () => {
    expect(parseForm(identityForms.phone, { nameKana: 'ヤマダ ハナコ', phone: '090-1111-2222' })).toEqual({
      ok: true,
      data: { mode: 'phone', nameKana: 'ヤマダハナコ', phone: '09011112222' },
    });
  });

  it.each([
    [{}, { nameKana: 'citizen.identity.error.kanaRequired', birthDate: 'citizen.identity.error.birthRequired' }],
    [
      { nameKana: '　', birthDate: ' ' },
      { nameKana: 'citizen.identity.error.kanaRequired', birthDate: 'citizen.identity.error.birthRequired' },
    ],
    [
      { nameKana: '山田太郎', birthDate: '1990/4/1' },
      { nameKana: 'citizen.identity.error.kana', birthDate: 'citizen.identity.error.birthFormat' },
    ],
    [
      { nameKana: 'ヤマダ\u0000', birthDate: '19900431' },
      { nameKana: 'citizen.identity.error.kana', birthDate: 'citizen.identity.error.birthDate' },
    ],
    [
      { nameKana: ['ヤマダ', 'タロウ'], birthDate: 'ア'.repeat(10_000) },
      { nameKana: 'citizen.identity.error.kana', birthDate: 'citizen.identity.error.birthFormat' },
    ],
    [
      { nameKana: 'ア'.repeat(51), birthDate: '20991231' },
      { nameKana: 'citizen.identity.error.kana', birthDate: 'citizen.identity.error.birthDate' },
    ],
  ])('When the kana-birth form is %j, then each field says what is wrong', (form, errors) => {
    expect(parseForm(identityForms['kana-birth'], form)).toEqual({ ok: false, errors });
  });

  it('When the phone form has a wrong or missing number, then the phone field says so', () => {
    expect(parseForm(identityForms.phone, { nameKana: 'ヤマダ' })).toEqual({ ok: false, errors: { phone: 'citizen.identity.error.phoneRequired' } });
    expect(parseForm(identityForms.phone, { nameKana: 'ヤマダ', phone: '12345' })).toEqual({ ok: false, errors: { phone: 'citizen.identity.error.phone' } });
  });
});

describe('applicant identity: one person, one row', () => {
  const taro = (nameKana = 'ヤマダタロウ', birthDate = '1990-04-01'): Identity => ({ mode: 'kana-birth', nameKana, birthDate });

  it('When the same person comes twice, then the same row is found and the name stays as first given', async () => {
    const first = await identify(taro());
    const second = await identify(taro());
    expect(first.created).toBe(true);
    expect(second).toEqual({ applicantId: first.applicantId, created: false });
    const row = (await applicantRows()).find((applicant) => applicant.id === first.applicantId)!;
    expect(row.name_kana).toBe('ヤマダタロウ');
    expect(row.birth_key).toBe(applicantBirthKey(PEPPER, '1990-04-01'));
    expect(JSON.stringify(row)).not.toContain('1990');
  });

  it('When another birth date, another name or a phone is given, then each is another person', async () => {
    const ids = new Set<number>();
    for (const identity of [
      taro('サトウイチロウ'),
      taro('サトウイチロウ', '1990-04-02'),
      taro('サトウジロウ'),
      { mode: 'phone', nameKana: 'サトウイチロウ', phone: '0312345678' } as const,
    ]) {
      ids.add((await identify(identity)).applicantId);
    }
    expect(ids.size).toBe(4);
  });

  it('When the phone mode is used, then the number names the person and is kept for staff to call', async () => {
    const first = await identify({ mode: 'phone', nameKana: 'スズキ', phone: '09099998888' });
    const again = await identify({ mode: 'phone', nameKana: 'スズキハナコ', phone: '09099998888' });
    expect(again.applicantId).toBe(first.applicantId);
    const row = (await applicantRows()).find((applicant) => applicant.id === first.applicantId)!;
    expect(row).toMatchObject({ name_kana: 'スズキ', phone: '09099998888', birth_key: null });
  });

  it('When the person key is made, then it is the same for the same fields, tagged by mode, and reveals neither', () => {
    const key = personKey(PEPPER, taro());
    expect(personKey(PEPPER, taro())).toBe(key);
    expect(personKey('another-pepper-another-pepper-another', taro())).not.toBe(key);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('When ten identical requests arrive at once, then one row is made and all get it', async () => {
    const person = taro('タカハシサブロウ', '1970-07-07');
    const results = await Promise.all(Array.from({ length: 10 }, () => identify(person)));
    expect(new Set(results.map((result) => result.applicantId)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const { rows } = await db.pool.query(`SELECT id FROM applicants WHERE person_key = $1`, [personKey(PEPPER, person)]);
    expect(rows).toHaveLength(1);
  });

  it('When an applicant is identified, then the audit row names the row, never the name, date or phone', async () => {
    const { applicantId } = await identify({ mode: 'phone', nameKana: 'イトウ', phone: '0451234567' });
    const { rows } = await db.pool.query<{ actor_id: string; detail: unknown; ip: string }>(
      `SELECT actor_id, detail, ip FROM audit_logs WHERE action = 'citizen.applicant.identified' AND target_id = $1`,
      [String(applicantId)],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: `applicant:${applicantId}`, ip: '192.0.2.7', detail: { mode: 'phone', created: true } });
    expect(JSON.stringify(rows[0].detail)).not.toMatch(/イトウ|0451234567/);
  });
});
