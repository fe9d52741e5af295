// Whether a migration keeps the previous release working on the new schema (expand/contract):
// during a rolling upgrade the old processes run against the migrated database, so a migration
// may add (tables, nullable or defaulted columns, indexes) but not take away or narrow. A
// statement that narrows on purpose, because the previous release provably still works, says so
// in a comment line right above it: `-- expand/contract: <why the previous release still works>`.

import pg from 'pg';

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

/** The constraints and unique indexes a migration adds under an `-- expand/contract:` comment. */
export function justifiedRules(sql: string): Set<string> {
  const names = statements(sql)
    .filter(({ comments }) => JUSTIFIED.test(comments))
    .flatMap(({ text }) => [...text.matchAll(/(?:ADD\s+CONSTRAINT|CREATE\s+UNIQUE\s+INDEX)\s+("?\w+"?)/gi)].map((match) => quoted(match[1])));
  return new Set(names);
}

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

interface Column {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

async function catalog(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<Column>(
      `SELECT table_name AS table, column_name AS column, udt_name AS type, is_nullable = 'YES' AS nullable,
              (column_default IS NOT NULL OR is_identity = 'YES' OR is_generated = 'ALWAYS') AS "hasDefault"
         FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const labels = await client.query<{ label: string }>(
      `SELECT t.typname || '.' || e.enumlabel AS label FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'`,
    );
    // Rules a row must keep: CHECK, UNIQUE, FOREIGN KEY and EXCLUDE constraints, and unique indexes.
    const rules = await client.query<{ table: string; name: string; definition: string }>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND c.contype IN ('c', 'u', 'f', 'x')
       UNION ALL
       SELECT i.indrelid::regclass::text, x.relname, pg_get_indexdef(i.indexrelid)
         FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_namespace n ON n.oid = x.relnamespace
        WHERE n.nspname = 'public' AND i.indisunique AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    );
    return { columns: columns.rows, labels: new Set(labels.rows.map((row) => row.label)), rules: rules.rows };
  } finally {
    await client.end();
  }
}

/**
 * What a previous release, running on the database at `previousUrl`'s schema, would meet on the
 * database at `currentUrl`'s ([] when nothing): a table, column or enum value it uses that is gone
 * or retyped, a column it may leave empty that must now be filled, or a new rule on a table it
 * writes. `justified`: rule names a migration comment vouches for (`-- expand/contract: ...`).
 */
export async function schemaBreaks(previousUrl: string, currentUrl: string, justified: Set<string> = new Set()): Promise<string[]> {
  const [before, after] = [await catalog(previousUrl), await catalog(currentUrl)];
  const key = (column: Column) => `${column.table}.${column.column}`;
  const now = new Map(after.columns.map((column) => [key(column), column]));
  const tablesBefore = new Set(before.columns.map((column) => column.table));
  const known = new Set(before.columns.map(key));
  const problems: string[] = [];
  for (const column of before.columns) {
    const current = now.get(key(column));
    if (!current) problems.push(`${key(column)}: gone`);
    else if (current.type !== column.type) problems.push(`${key(column)}: ${column.type} became ${current.type}`);
    else if (column.nullable && !current.nullable && !current.hasDefault) problems.push(`${key(column)}: now required`);
    else if (!column.nullable && current.nullable) problems.push(`${key(column)}: may now be empty`);
  }
  for (const column of after.columns) {
    if (tablesBefore.has(column.table) && !known.has(key(column)) && !column.nullable && !column.hasDefault) problems.push(`${key(column)}: new, required, no default`);
  }
  for (const label of before.labels) if (!after.labels.has(label)) problems.push(`enum value ${label}: gone`);
  const rulesBefore = new Set(before.rules.map((rule) => `${rule.table} ${rule.definition}`));
  for (const rule of after.rules) {
    if (tablesBefore.has(rule.table) && !rulesBefore.has(`${rule.table} ${rule.definition}`) && !justified.has(rule.name))
      problems.push(`${rule.table}: new rule ${rule.name} (${rule.definition})`);
  }
  return problems.sort();
}
