// Re-import of a handover file into an empty database, in the one transaction it is given: the
// schema must be the export's (same migrations, same tables and columns), the database must hold
// nothing but the defaults its migrations put in, and then every table is copied in, parents
// first, and every sequence set where it stood (docs/decisions/0023).
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { z } from 'zod';
import type { SqlTx } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import type { CsvEncoding } from '../../lib/csv.js';
import type { OpenedHandover } from './archive.js';
import { quoteName, readCatalog, readMigrations, restoreSequences } from './catalog.js';
import { copyLine, unmarkFormula } from './cells.js';
import { HANDOVER_FORMAT, HANDOVER_VERSION } from './export.js';

const manifestSchema = z.object({
  format: z.literal(HANDOVER_FORMAT),
  version: z.literal(HANDOVER_VERSION),
  encoding: z.enum(['utf8', 'sjis']),
  migrations: z.array(z.string()),
  tables: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      rows: z.number().int().nonnegative(),
      sjisOriginals: z.object({ file: z.string() }).optional(),
      columns: z.array(z.object({ name: z.string(), formulaMark: z.boolean() })),
    }),
  ),
  sequences: z.array(z.object({ name: z.string(), lastValue: z.string().regex(/^-?\d+$/), isCalled: z.boolean() })),
});
type ImportManifest = z.infer<typeof manifestSchema>;

/**
 * Rows the migrations themselves put in a new database, which (where) and how many (rows): the
 * default booking policy, the default J-LIS file layout, the pickup procedure, the audit log's
 * retention period, the inquiry categories. A database holding only these counts as empty, and
 * they are replaced by the export's. A migration that adds a default must add it here; the
 * round-trip test (tests/handover/round-trip.test.ts) fails until it does.
 */
const MIGRATION_DEFAULTS: Record<string, { where: string; rows: number }> = {
  booking_policies: { where: 'counter_id IS NULL', rows: 1 },
  import_profiles: { where: 'true', rows: 1 },
  procedures: { where: "code = 'pickup'", rows: 1 },
  retention_periods: { where: "updated_by = 'system:migration'", rows: 1 },
  inquiry_categories: { where: "code IN ('booking_method', 'what_to_bring', 'complaint', 'change_date', 'other')", rows: 5 },
};

const refuse = (code: string, params: Record<string, string | number> = {}) => new AppError(422, `handover_${code}`, `handover.${code}`, params);

export interface ImportResult {
  tables: number;
  rows: number;
}

export function readManifest(handover: OpenedHandover): ImportManifest {
  const parsed = manifestSchema.safeParse(handover.manifest);
  if (!parsed.success) throw refuse('badManifest');
  return parsed.data;
}

export async function importHandover(tx: SqlTx, handover: OpenedHandover): Promise<ImportResult> {
  const manifest = readManifest(handover);
  await tx.query(`SELECT set_config('TimeZone', 'Asia/Tokyo', true), set_config('DateStyle', 'ISO, YMD', true)`);
  const migrations = await readMigrations(tx);
  if (migrations.join('\n') !== manifest.migrations.join('\n')) {
    throw refuse('migrationsDiffer', { exported: manifest.migrations.at(-1) ?? '', here: migrations.at(-1) ?? '' });
  }
  const catalog = await readCatalog(tx);
  for (const table of catalog) {
    const exported = manifest.tables.find((candidate) => candidate.name === table.name);
    const same = exported && exported.columns.map((column) => column.name).join(',') === table.columns.map((column) => column.name).join(',');
    if (!same) throw refuse('schemaDiffers', { table: table.name });
  }
  if (manifest.tables.length !== catalog.length) throw refuse('schemaDiffers', { table: manifest.tables.find((table) => !catalog.some((here) => here.name === table.name))!.name });
  const tables = catalog.map((table) => table.name);
  // Nobody else writes to these tables until the import commits: what is found empty stays empty.
  await tx.query(`LOCK TABLE ${tables.map(quoteName).join(', ')} IN EXCLUSIVE MODE`);
  await makeRoom(tx, tables);
  let rows = 0;
  for (const table of catalog) {
    const exported = manifest.tables.find((candidate) => candidate.name === table.name)!;
    const originals = exported.sjisOriginals ? originalCells(await handover.read(exported.sjisOriginals.file)) : undefined;
    const copied = await copyTable(tx, exported, await handover.read(exported.file), manifest.encoding, originals);
    if (copied !== exported.rows) throw refuse('rowCountDiffers', { table: table.name, expected: exported.rows, found: copied });
    rows += copied;
  }
  await restoreSequences(tx, manifest.sequences);
  return { tables: catalog.length, rows };
}

/** Refuses a database that holds anything but the migrations' defaults, and takes those out. */
async function makeRoom(tx: SqlTx, tables: string[]): Promise<void> {
  // One query counts every table's rows (but the migrations' defaults); the first table not empty is named.
  const counts = await tx.query<{ i: number; count: number }>(
    tables
      .map((table, i) => {
        const defaults = MIGRATION_DEFAULTS[table];
        return `SELECT ${i} AS i, count(*)::int AS count FROM ${quoteName(table)}${defaults ? ` WHERE NOT (${defaults.where})` : ''}`;
      })
      .join(' UNION ALL ') + ' ORDER BY i',
  );
  const filled = counts.find(({ count }) => count > 0);
  if (filled) throw refuse('notEmpty', { table: tables[filled.i], rows: filled.count });
  for (const [table, defaults] of Object.entries(MIGRATION_DEFAULTS)) {
    const [{ count }] = await tx.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${quoteName(table)}`);
    if (count > defaults.rows) throw refuse('notEmpty', { table, rows: count });
    await tx.query(`DELETE FROM ${quoteName(table)} WHERE ${defaults.where}`);
  }
}

const COPY_CHUNK_CHARACTERS = 256 * 1024;

type Cells = (string | null)[];

/** A CSV file's records: NULL (an empty field without quotes) kept apart from "" (an empty string). */
const csvRecords = (text: NodeJS.ReadableStream): AsyncIterable<Cells> =>
  text.pipe(parse({ bom: true, cast: (value, context) => (context.quoting || value !== '' ? value : null) })) as AsyncIterable<Cells>;

/** The original values of a Shift_JIS export's substituted cells, in line order (export.ts, OriginalCells). */
async function* originalCells(file: Readable): AsyncGenerator<{ line: number; column: string; value: string }> {
  let header = true;
  for await (const [line, column, value] of csvRecords(file)) {
    if (header) header = false;
    else yield { line: Number(line), column: column ?? '', value: value ?? '' };
  }
}

/** Streams one table's CSV into COPY: header checked, substituted cells restored, each formula mark taken off. */
async function copyTable(
  tx: SqlTx,
  table: ImportManifest['tables'][number],
  file: Readable,
  encoding: CsvEncoding,
  originals?: AsyncGenerator<{ line: number; column: string; value: string }>,
): Promise<number> {
  const records = csvRecords(encoding === 'sjis' ? file.pipe(iconv.decodeStream('CP932')) : file);
  const names = table.columns.map((column) => column.name);
  let original = await originals?.next();
  const lines = async function* () {
    let line = 0;
    let pending = '';
    for await (const record of records) {
      line += 1;
      if (line === 1) {
        if (record.join(',') !== names.join(',')) throw refuse('schemaDiffers', { table: table.name });
        continue;
      }
      if (record.length !== names.length) throw refuse('damaged');
      for (; original && !original.done && original.value.line === line; original = await originals!.next()) {
        if (!names.includes(original.value.column)) throw refuse('damaged');
        record[names.indexOf(original.value.column)] = original.value.value;
      }
      pending += copyLine(record.map((value, index) => (value !== null && table.columns[index].formulaMark ? unmarkFormula(value) : value)));
      if (pending.length < COPY_CHUNK_CHARACTERS) continue;
      yield pending;
      pending = '';
    }
    if (pending) yield pending;
  };
  return tx.copyFrom(`COPY ${quoteName(table.name)} (${names.map(quoteName).join(', ')}) FROM STDIN WITH (FORMAT csv)`, lines());
}
