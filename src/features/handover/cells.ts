// How one value is written to a handover CSV and read back, exactly (docs/decisions/0023):
// - NULL is an empty field without quotes; an empty string is "" (as PostgreSQL's COPY writes CSV).
// - A text cell that Excel would run as a formula (= + - @ TAB CR) gets a ' in front, and so does
//   one that already starts with ', so that taking away one leading ' always gives the value back.
//   src/lib/csv.ts marks the same starts for lists people only read; there a leading ' stays ambiguous.
// - In Shift_JIS (CP932), a character it cannot hold is shown as its CP932 form or 〓, and the cell's
//   original goes to tables/<table>.sjis-originals.csv, from which the re-import restores it.
import iconv from 'iconv-lite';

/** The rules as the manifest states them, for whoever reads the files without our code. */
export const CELL_RULES = {
  null: 'An empty field without quotes is NULL; "" is an empty string.',
  formulaMark: "In columns with formulaMark true, a value starting with = + - @ TAB CR or ' was written with one ' in front; remove one leading ' to get the stored value.",
  sjisOriginals:
    'In a Shift_JIS export, a cell with a character Shift_JIS cannot hold shows it as its CP932 form or 〓; tables/<table>.sjis-originals.csv (UTF-8) has its original (line, column, value).',
  text: "Every value is PostgreSQL's text form of the stored value (timestamps in Asia/Tokyo, ISO order; arrays as {a,b}; JSON as text).",
} as const;

const NEEDS_MARK = /^[=+\-@\t\r']/;

export const markFormula = (value: string): string => (NEEDS_MARK.test(value) ? `'${value}` : value);
export const unmarkFormula = (value: string): string => (value.startsWith("'") ? value.slice(1) : value);

/**
 * Characters that Shift_JIS (CP932) has under another code point: the JIS forms that Macs and
 * Linux type (WAVE DASH 〜 is in the app's own mail subjects) and the Windows forms Excel shows.
 */
const CP932_FORMS: Record<string, string> = {
  '\u301C': '\uFF5E',
  '\u2016': '\u2225',
  '\u2212': '\uFF0D',
  '\u00A2': '\uFFE0',
  '\u00A3': '\uFFE1',
  '\u00AC': '\uFFE2',
  '\u2014': '\u2015',
};
/** 〓 (geta), what Japanese systems print for a character they cannot show. */
export const SJIS_SUBSTITUTE = '\u3013';

const survivesCp932 = (text: string) => iconv.decode(iconv.encode(text, 'CP932'), 'CP932') === text;

/**
 * The value as a Shift_JIS file can hold it: each character CP932 cannot round-trip becomes its
 * CP932 form or 〓. The export keeps the original of every cell this changes (export.ts), so the
 * re-import restores it exactly.
 */
export function shiftJisText(value: string): string {
  if (!/[\u0080-\uffff]/.test(value) || survivesCp932(value)) return value;
  return [...value].map((char) => (survivesCp932(char) ? char : (CP932_FORMS[char] ?? SJIS_SUBSTITUTE))).join('');
}

/** One record in the CSV form that COPY ... FROM STDIN (FORMAT csv) reads: null unquoted and empty, every value quoted. */
export function copyLine(values: (string | null)[]): string {
  return `${values.map((value) => (value === null ? '' : `"${value.replace(/"/g, '""')}"`)).join(',')}\n`;
}
