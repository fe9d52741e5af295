// One multi-row statement per chunk of lines (unnest of arrays): no query per row.
import type { CardRow, CheckedRow } from './card-row.js';

export const STAGING_INSERT = `
  INSERT INTO import_rows (batch_id, line, notice_id, birth_key, name, name_kana, card_number, counter_code,
                           counter_id, storage_place, notice_sent_on, notice_valid_until, error, error_params)
  SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                           $9::int[], $10::text[], $11::date[], $12::date[], $13::text[], $14::jsonb[])`;

export interface StagedLine {
  line: number;
  checked: CheckedRow | null;
  /** The field whose column is missing from a short line. */
  shortOf?: string;
}

const EMPTY: CardRow = { noticeId: '', birthKey: '', name: '', nameKana: '', cardNumber: null, counterCode: '', storagePlace: '', noticeSentOn: null, noticeValidUntil: null };

/** A good row whose counter code names no open counter becomes a bad row. */
function withCounter(checked: CheckedRow | null, counters: Map<string, number>): CheckedRow | null {
  if (!checked?.ok || checked.row.counterCode === '' || counters.has(checked.row.counterCode)) return checked;
  return { ok: false, noticeId: checked.row.noticeId, problem: { field: 'counterCode', key: 'cards.row.unknownCounter', params: { code: checked.row.counterCode } } };
}

/** Parameters of STAGING_INSERT for a chunk: one array per column. Counters are resolved here (a small table, read once). */
export function stagingChunk(batchId: number, lines: StagedLine[], counters: Map<string, number>): unknown[] {
  const columns: unknown[][] = Array.from({ length: 13 }, () => []);
  for (const staged of lines) {
    const { line, shortOf } = staged;
    const checked = withCounter(staged.checked, counters);
    const row = checked?.ok ? checked.row : { ...EMPTY, noticeId: checked?.noticeId ?? '' };
    const error = checked === null ? 'cards.row.columns' : checked.ok ? null : checked.problem.key;
    const params = checked === null ? { field: shortOf ?? '' } : checked.ok ? null : { field: checked.problem.field, ...checked.problem.params };
    const values = [
      line,
      row.noticeId,
      row.birthKey,
      row.name,
      row.nameKana,
      row.cardNumber,
      row.counterCode,
      counters.get(row.counterCode) ?? null,
      row.storagePlace,
      row.noticeSentOn,
      row.noticeValidUntil,
      error,
      params === null ? null : JSON.stringify(params),
    ];
    values.forEach((value, index) => columns[index].push(value));
  }
  return [batchId, ...columns];
}
