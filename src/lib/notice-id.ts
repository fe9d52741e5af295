// The notice ID (交付通知書の番号) as the city prints it. Each city chooses its format, set once at
// start-up from NOTICE_ID_PATTERN (src/config.ts). Every place that reads an ID (citizen log-in,
// J-LIS import, console search, the barcode on the pull list) uses noticeIdOf() to normalise it
// and isNoticeId() to check it, so they always agree.
import { toHalfWidth } from './width.js';

/** Today's notices: 12 to 20 digits. */
export const DEFAULT_NOTICE_ID_PATTERN = '[0-9]{12,20}';

/**
 * The pattern language: letters, digits and '-' as printed, character classes such as [0-9] or
 * [A-Z], \d, and the counts {n}, {m,n} and ?. No groups or alternatives, so matching stays
 * linear whatever a city writes.
 */
const PATTERN_SYNTAX = /^(?:\[[A-Za-z0-9-]+\]|\\d|[A-Za-z0-9-]|\{\d{1,2}(?:,\d{1,2})?\}|\?)+$/;

/** Null when the pattern is usable, otherwise why not (in Japanese, for the start-up error). */
export function noticeIdPatternProblem(source: string): string | null {
  if (!PATTERN_SYNTAX.test(source)) return '英数字・ハイフン・[0-9] のような文字の範囲・\\d・{12,20} のような桁数・? だけで書いてください';
  try {
    new RegExp(`^(?:${source})$`);
  } catch {
    return '正規表現として読めません(桁数 {12,20} の前に文字や [0-9] が必要です)';
  }
  return null;
}

interface Format {
  /** The ID as printed, hyphens included. */
  printed: RegExp;
  /** The same without its hyphens (a citizen may leave them out). */
  bare: RegExp;
}

function formatOf(source: string): Format {
  const bare = source.replace(/\[[^\]]*\]|-(?:\{\d+(?:,\d+)?\}|\?)?/g, (token) => (token.startsWith('-') ? '' : token));
  return { printed: new RegExp(`^(?:${source})$`), bare: new RegExp(`^(?:${bare})$`) };
}

let format = formatOf(DEFAULT_NOTICE_ID_PATTERN);

/** Sets the city's format (at start-up, after the config was validated). */
export function useNoticeIdPattern(source: string): void {
  const problem = noticeIdPatternProblem(source);
  if (problem) throw new Error(`NOTICE_ID_PATTERN: ${problem}`);
  format = formatOf(source);
}

/** Already in printed form: nothing to fold, unify or remove. */
const PRINTED = /^[0-9A-Z]*$/;

/** As typed or printed -> half-width, upper case, hyphens of any width unified, spaces gone. */
function printedForm(raw: string): string {
  if (PRINTED.test(raw)) return raw;
  return toHalfWidth(raw)
    .replace(/[\u2010-\u2015\u2212\u30FC\uFF70]/g, '-')
    .replace(/[\s_]/g, '')
    .toUpperCase();
}

/** The stored form of an ID: printed form without hyphens (a citizen may type them or not). */
export function noticeIdOf(raw: string): string {
  return printedForm(raw).replace(/-/g, '');
}

/** Whether the text is a notice ID in the city's format (as printed, or without its hyphens). */
export function isNoticeId(raw: string): boolean {
  return format.printed.test(printedForm(raw)) || format.bare.test(noticeIdOf(raw));
}

/** Whether the city's IDs are digits only (phones then show the number pad). */
export function noticeIdIsNumeric(): boolean {
  return !/[A-Za-z]/.test(format.printed.source.replace(/\\d/g, ''));
}
