// What the database holds, read from PostgreSQL's own catalogue at run time: every table of the
// schema (a table added by a later migration is exported without anyone listing it), its
// columns, primary key and foreign keys, and the sequences behind the serial ids.
import pg from 'pg';
import type { Queryable } from '../../db/client.js';

export interface CatalogColumn {
  name: string;
  /** PostgreSQL's name of the type, e.g. integer, text, timestamp with time zone, ARRAY. */
  type: string;
  nullable: boolean;
  /** Numbers are never marked against spreadsheet formulas: a negative number is data (cells.ts). */
  numeric: boolean;
}

export interface CatalogTable {
  name: string;
  columns: CatalogColumn[];
  primaryKey: string[];
  /** Tables this one refers to by foreign key: they are loaded first. */
  references: string[];
}

export interface SequenceState {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/** The migration history is not data: the receiving database has its own, and must match (manifest.migrations). */
const MIGRATION_HISTORY = '_prisma_migrations';

const NUMERIC_TYPES = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision']);

/** Every table of the current schema, in an order in which each comes after the tables it refers to. */
export async function readCatalog(db: Queryable): Promise<CatalogTable[]> {
  const [tables, columns, keys, references] = await Promise.all([
    db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1 ORDER BY table_name`,
      [MIGRATION_HISTORY],
    ),
    db.query<{ table: string; name: string; type: string; nullable: string }>(
      `SELECT table_name AS table, column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns
        WHERE table_schema = current_schema() AND is_generated = 'NEVER' ORDER BY table_name, ordinal_position`,
    ),
    db.query<{ table: string; name: string }>(
      `SELECT c.relname AS table, a.attname AS name FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indisprimary AND n.nspname = current_schema() ORDER BY c.relname, k.position`,
    ),
    db.query<{ table: string; parent: string }>(
      `SELECT DISTINCT child.relname AS table, parent.relname AS parent FROM pg_constraint f
         JOIN pg_class child ON child.oid = f.conrelid JOIN pg_class parent ON parent.oid = f.confrelid
        WHERE f.contype = 'f' AND f.connamespace = current_schema()::regnamespace`,
    ),
  ]);
  const catalog = tables.map(({ name }) => ({
    name,
    columns: columns
      .filter((column) => column.table === name)
      .map((column) => ({ name: column.name, type: column.type, nullable: column.nullable === 'YES', numeric: NUMERIC_TYPES.has(column.type) })),
    primaryKey: keys.filter((key) => key.table === name).map((key) => key.name),
    references: references.filter((reference) => reference.table === name && reference.parent !== name).map((reference) => reference.parent),
  }));
  return parentsFirst(catalog);
}

/** Orders tables so that each follows every table it refers to (the catalogue's foreign keys form no cycle). */
function parentsFirst(tables: CatalogTable[]): CatalogTable[] {
  const ordered: CatalogTable[] = [];
  const placed = new Set<string>();
  const visit = (table: CatalogTable, path: string[]) => {
    if (placed.has(table.name)) return;
    if (path.includes(table.name)) throw new Error(`foreign keys form a cycle: ${[...path, table.name].join(' -> ')}`);
    for (const parent of table.references) {
      const parentTable = tables.find((candidate) => candidate.name === parent);
      if (parentTable) visit(parentTable, [...path, table.name]);
    }
    placed.add(table.name);
    ordered.push(table);
  };
  for (const table of tables) visit(table, []);
  return ordered;
}

/** Where each sequence of the schema stands, so ids given after a re-import never repeat one. */
export async function readSequences(db: Queryable): Promise<SequenceState[]> {
  const names = await db.query<{ name: string }>(`SELECT sequence_name AS name FROM information_schema.sequences WHERE sequence_schema = current_schema() ORDER BY sequence_name`);
  if (names.length === 0) return [];
  // One read of every sequence (a sequence is read as a one-row table; its name is not a parameter).
  const states = await db.query<{ i: number; last_value: string; is_called: boolean }>(
    names.map(({ name }, i) => `SELECT ${i} AS i, last_value::text AS last_value, is_called FROM ${quoteName(name)}`).join(' UNION ALL ') + ' ORDER BY i',
  );
  return states.map((state) => ({ name: names[state.i].name, lastValue: state.last_value, isCalled: state.is_called }));
}

export async function restoreSequences(db: Queryable, sequences: SequenceState[]): Promise<void> {
  if (sequences.length === 0) return;
  await db.query('SELECT setval(s.name::regclass, s.last_value, s.is_called) FROM unnest($1::text[], $2::bigint[], $3::boolean[]) AS s(name, last_value, is_called)', [
    sequences.map((sequence) => quoteName(sequence.name)),
    sequences.map((sequence) => sequence.lastValue),
    sequences.map((sequence) => sequence.isCalled),
  ]);
}

/** The names of the applied migrations: the receiving database must have exactly these. */
export async function readMigrations(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT migration_name AS name FROM ${MIGRATION_HISTORY} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((row) => row.name);
}

/** An identifier as SQL text; catalogue names only, never input. */
export const quoteName = (name: string): string => pg.escapeIdentifier(name);
