// One multi-row statement per chunk of lines (unnest of arrays): no query per row.
import type { CardRow, CheckedRow } from './card-row.js';

export const STAGING_INSERT = `
  INSERT INTO import_rows (batch_id, line, notice_id, birth_key, name, name_kana, card_number, counter_code,
                           storage_place, notice_sent_on, notice_valid_until, error, error_params)
  SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                           $9::text[], $10::date[], $11::date[], $12::text[], $13::jsonb[])`;

export interface StagedLine {
  line: number;
  checked: CheckedRow | null;
  /** The field whose column is missing from a short line. */
  shortOf?: string;
}

const EMPTY: CardRow = { noticeId: '', birthKey: '', name: '', nameKana: '', cardNumber: null, counterCode: '', storagePlace: '', noticeSentOn: null, noticeValidUntil: null };

/** Parameters of STAGING_INSERT for a chunk: one array per column. */
export function stagingChunk(batchId: number, lines: StagedLine[]): unknown[] {
  const columns: unknown[][] = Array.from({ length: 12 }, () => []);
  for (const { line, checked, shortOf } of lines) {
    const row = checked?.ok ? checked.row : { ...EMPTY, noticeId: checked?.noticeId ?? '' };
    const error = checked === null ? 'cards.row.columns' : checked.ok ? null : checked.problem.key;
    const params = checked === null ? { field: shortOf ?? '' } : checked.ok ? null : { field: checked.problem.field, ...checked.problem.params };
    const values = [line, row.noticeId, row.birthKey, row.name, row.nameKana, row.cardNumber, row.counterCode, row.storagePlace, row.noticeSentOn, row.noticeValidUntil, error, params === null ? null : JSON.stringify(params)];
    values.forEach((value, index) => columns[index].push(value));
  }
  return [batchId, ...columns];
}
