// Whether a migration keeps the previous release working on the new schema (expand/contract):
// during a rolling upgrade the old processes run against the migrated database, so a migration
// may add (tables, nullable or defaulted columns, indexes) but not take away or narrow. A
// statement that narrows on purpose, because the previous release provably still works, says so
// in a comment line right above it: `-- expand/contract: <why the previous release still works>`.

const JUSTIFIED = /^--\s*expand\/contract:\s*\S/m;

const CONTRACTING: [RegExp, string][] = [
  [/\bDROP\s+(TABLE|COLUMN|TYPE|INDEX|CONSTRAINT|DEFAULT|VIEW|FUNCTION|TRIGGER)\b/i, 'drops what the previous release may use'],
  [/\bRENAME\b/i, 'renames what the previous release names'],
  [/\bALTER\s+COLUMN\s+"?\w+"?\s+(SET\s+DATA\s+)?TYPE\b/i, "changes a column's type"],
  [/\bALTER\s+COLUMN\s+"?\w+"?\s+SET\s+NOT\s+NULL\b/i, 'makes a column required that the previous release may leave empty'],
  [/\bALTER\s+COLUMN\s+"?\w+"?\s+DROP\s+NOT\s+NULL\b/i, 'lets a column be empty where the previous release expects a value'],
  [/\bALTER\s+TYPE\b[\s\S]*\bRENAME\b/i, 'renames an enum value'],
];

/** Each statement with the comment lines right above it. */
function statements(sql: string): { text: string; comments: string }[] {
  return sql
    .split(/;\s*$/m)
    .map((chunk) => {
      const lines = chunk.split('\n');
      const comments = lines
        .map((line) => line.trim())
        .filter((line) => line.startsWith('--'))
        .join('\n');
      const text = lines
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim();
      return { text, comments };
    })
    .filter((statement) => statement.text !== '');
}

const quoted = (name: string) => name.replace(/"/g, '');

/** What in the migration could break the previous release, one line each ([] when nothing). */
export function contractingStatements(sql: string): string[] {
  const all = statements(sql);
  const created = new Set(all.flatMap(({ text }) => [...text.matchAll(/CREATE\s+TABLE\s+("?\w+"?)/gi)].map((match) => quoted(match[1]))));
  const problems: string[] = [];
  for (const { text, comments } of all) {
    if (JUSTIFIED.test(comments)) continue;
    const table = quoted(text.match(/^(?:ALTER\s+TABLE|CREATE\s+(?:UNIQUE\s+)?INDEX\s+\S+\s+ON)\s+("?\w+"?)/i)?.[1] ?? '');
    const existing = table !== '' && !created.has(table);
    const reasons = CONTRACTING.filter(([pattern]) => pattern.test(text)).map(([, reason]) => reason);
    if (existing && /\bADD\s+COLUMN\b[^,]*\bNOT\s+NULL\b/i.test(text) && !/\bDEFAULT\b/i.test(text))
      reasons.push('adds a required column without a default, which the previous release does not fill');
    if (existing && /\bADD\s+CONSTRAINT\b[\s\S]*\b(CHECK|UNIQUE|FOREIGN\s+KEY|EXCLUDE)\b/i.test(text))
      reasons.push('adds a rule to an existing table that rows of the previous release must keep');
    if (existing && /^CREATE\s+UNIQUE\s+INDEX\b/i.test(text)) reasons.push('adds a unique index to an existing table that rows of the previous release must keep');
    for (const reason of reasons) problems.push(`${text.split('\n')[0].slice(0, 120)}: ${reason}`);
  }
  return problems;
}
