// Staged lines go to import_rows through COPY FROM STDIN: one line of COPY text per file line,
// built straight from the checked fields (no statement parameters, no arrays).
import type { CardRow, CheckedRow } from './card-row.js';

export const STAGING_COPY = `COPY import_rows (batch_id, line, notice_id, birth_key, name, name_kana, card_number, counter_code,
                                  counter_id, storage_place, notice_sent_on, notice_valid_until, error, error_params) FROM STDIN`;

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

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: \N for NULL; backslash, tab and line breaks escaped. */
function cell(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (char) => ESCAPES[char]) : value;
}

/** One staged line as a line of COPY text, and whether it is a bad line. Counters are resolved here (a small table, read once). */
export function stagingLine(batchId: number, staged: StagedLine, counters: Map<string, number>): { text: string; bad: boolean } {
  const checked = withCounter(staged.checked, counters);
  const row = checked?.ok ? checked.row : { ...EMPTY, noticeId: checked?.noticeId ?? '' };
  const error = checked === null ? 'cards.row.columns' : checked.ok ? null : checked.problem.key;
  const params = checked === null ? { field: staged.shortOf ?? '' } : checked.ok ? null : { field: checked.problem.field, ...checked.problem.params };
  // In STAGING_COPY's column order, written out rather than joined from an array: this runs once
  // per line of a 100,000-line file, and the array cost a tenth of the reading (bench/README.md).
  const text =
    `${batchId}\t${staged.line}\t${cell(row.noticeId)}\t${cell(row.birthKey)}\t${cell(row.name)}\t${cell(row.nameKana)}\t` +
    `${cell(row.cardNumber)}\t${cell(row.counterCode)}\t${cell(counters.get(row.counterCode) ?? null)}\t${cell(row.storagePlace)}\t` +
    `${cell(row.noticeSentOn)}\t${cell(row.noticeValidUntil)}\t${cell(error)}\t${cell(params === null ? null : JSON.stringify(params))}\n`;
  return { text, bad: error !== null };
}
