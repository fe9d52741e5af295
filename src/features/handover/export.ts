// The handover export: every table of the database as a documented CSV, the schedule in its
// setup-file format, a manifest and a README, all from one snapshot (docs/decisions/0023).
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Tx } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import type { IsoDate } from '../../lib/jst.js';
import { exportSetup } from '../schedule/setup-file.js';
import { MANIFEST_FILE, type FileSum, type HandoverZip } from './archive.js';
import { quoteName, readCatalog, readMigrations, readSequences, type CatalogTable, type SequenceState } from './catalog.js';
import type { CsvEncoding } from '../../lib/csv.js';
import { CELL_RULES, markFormula, shiftJisText } from './cells.js';
import { readDictionary, type Dictionary } from './dictionary.js';
import { readmeText } from './readme.js';

export const HANDOVER_FORMAT = 'mynumber-card-booking/handover';
export const HANDOVER_VERSION = 1;
export const SCHEDULE_FILE = 'schedule.yaml';
export const README_FILE = 'README.md';

export interface ManifestColumn {
  name: string;
  type: string;
  nullable: boolean;
  formulaMark: boolean;
  description: string;
}

export interface ManifestTable {
  name: string;
  description: string;
  file: string;
  rows: number;
  primaryKey: string[];
  columns: ManifestColumn[];
  /** Shift_JIS only: the cells shown with a substitute, and where their originals are. */
  sjisOriginals?: { file: string; cells: number };
}

export interface Manifest {
  format: typeof HANDOVER_FORMAT;
  version: number;
  createdAt: string;
  encoding: CsvEncoding;
  rules: typeof CELL_RULES & { encoding: string; lineEnd: string };
  migrations: string[];
  tables: ManifestTable[];
  sequences: SequenceState[];
  files: FileSum[];
}

export interface ExportOptions {
  encoding: CsvEncoding;
  today: IsoDate;
  createdAt: Date;
  /** Stops the export between two batches of rows; the file is then not written (writeHandoverFile). */
  signal?: AbortSignal;
  /** Told after each table, for the operator's progress. */
  onTable?: (table: string, rows: number) => void | Promise<void>;
}

const ROWS_PER_FETCH = 1000;

/**
 * Writes every table into `zip` from the snapshot `tx` was opened with (isolation 'snapshot'), row
 * by row through a cursor, so memory stays flat however large a table is.
 */
export async function exportHandover(tx: Tx, zip: HandoverZip, options: ExportOptions): Promise<Manifest> {
  // Text forms that read back the same anywhere: ISO dates, Japan time, exact floats.
  await tx.query(`SELECT set_config('TimeZone', 'Asia/Tokyo', true), set_config('DateStyle', 'ISO, YMD', true), set_config('extra_float_digits', '3', true)`);
  const dictionary = readDictionary();
  const catalog = await readCatalog(tx);
  const [migrations, sequences] = [await readMigrations(tx), await readSequences(tx)];
  const tables: ManifestTable[] = [];
  for (const table of catalog) {
    tables.push(await exportTable(tx, zip, table, dictionary, options));
    await options.onTable?.(table.name, tables.at(-1)!.rows);
  }
  zip.addBuffer(SCHEDULE_FILE, Buffer.from(await exportSetup(tx.db, options.today), 'utf8'));
  const manifest: Manifest = {
    format: HANDOVER_FORMAT,
    version: HANDOVER_VERSION,
    createdAt: options.createdAt.toISOString(),
    encoding: options.encoding,
    rules: { ...CELL_RULES, encoding: options.encoding === 'sjis' ? 'Shift_JIS (CP932), no BOM' : 'UTF-8 with BOM', lineEnd: 'CRLF' },
    migrations,
    tables,
    sequences,
    files: [],
  };
  zip.addBuffer(README_FILE, Buffer.from(readmeText(manifest), 'utf8'));
  manifest.files = [...zip.sums];
  zip.addBuffer(MANIFEST_FILE, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  return manifest;
}

async function exportTable(tx: Tx, zip: HandoverZip, table: CatalogTable, dictionary: Dictionary, options: ExportOptions): Promise<ManifestTable> {
  const described = dictionary.get(table.name);
  const columns = table.columns.map((column) => ({
    name: column.name,
    type: column.type,
    nullable: column.nullable,
    formulaMark: !column.numeric,
    description: described?.columns.get(column.name) ?? '',
  }));
  const file = `tables/${table.name}.csv`;
  const originals = options.encoding === 'sjis' ? await OriginalCells.open() : undefined;
  let rows = 0;
  const records = async function* () {
    yield columns.map((column) => column.name);
    for await (const values of tableRows(tx, table, options.signal)) {
      rows += 1;
      yield values.map((value, index) => {
        if (value === null) return null;
        const cell = columns[index].formulaMark ? markFormula(value) : value;
        if (!originals) return cell;
        const shown = shiftJisText(cell);
        if (shown !== cell) originals.note(rows + 1, columns[index].name, cell);
        return shown;
      });
    }
  };
  try {
    await zip.addStream(file, encodeCsv(records(), options.encoding));
    const sjisOriginals = originals?.cells ? { file: `tables/${table.name}.sjis-originals.csv`, cells: originals.cells } : undefined;
    if (sjisOriginals) await zip.addStream(sjisOriginals.file, originals!.read());
    return { name: table.name, description: described?.description ?? '', file, rows, primaryKey: table.primaryKey, columns, sjisOriginals };
  } finally {
    await originals?.discard();
  }
}

/**
 * The original values of the cells a Shift_JIS export had to change, as a UTF-8 CSV (line, column,
 * value) in line order, kept in a private temporary file while the table streams, so memory stays flat.
 */
class OriginalCells {
  cells = 0;
  private closed = false;
  private constructor(
    private readonly dir: string,
    private readonly fd: number,
  ) {}

  static async open(): Promise<OriginalCells> {
    const dir = await mkdtemp(path.join(tmpdir(), 'handover-sjis-'));
    const fd = openSync(path.join(dir, 'originals.csv'), 'w', 0o600);
    writeSync(fd, `\uFEFF${ORIGINALS_HEADER.join(',')}\r\n`);
    return new OriginalCells(dir, fd);
  }

  note(line: number, column: string, value: string): void {
    this.cells += 1;
    writeSync(this.fd, `${[String(line), column, value].map(csvField).join(',')}\r\n`);
  }

  read(): AsyncIterable<Buffer> {
    this.close();
    return createReadStream(path.join(this.dir, 'originals.csv'));
  }

  private close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }

  async discard(): Promise<void> {
    this.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export const ORIGINALS_HEADER = ['line', 'column', 'value'];

/** The rows of a table as PostgreSQL's text forms, in primary-key order, a batch at a time. */
async function* tableRows(tx: Tx, table: CatalogTable, signal: AbortSignal | undefined): AsyncGenerator<(string | null)[]> {
  const select = table.columns.map((column, index) => `${quoteName(column.name)}::text AS c${index}`).join(', ');
  const order = table.primaryKey.length > 0 ? ` ORDER BY ${table.primaryKey.map(quoteName).join(', ')}` : '';
  await tx.query(`DECLARE handover_rows NO SCROLL CURSOR FOR SELECT ${select} FROM ${quoteName(table.name)}${order}`);
  for (;;) {
    if (signal?.aborted) throw new AppError(499, 'handover_aborted', 'handover.aborted');
    const batch = await tx.query<Record<string, string | null>>(`FETCH ${ROWS_PER_FETCH} FROM handover_rows`);
    for (const row of batch) yield table.columns.map((_column, index) => row[`c${index}`]);
    if (batch.length < ROWS_PER_FETCH) break;
  }
  await tx.query('CLOSE handover_rows');
}

/** CSV as Excel opens it: CRLF, quotes where needed, "" for an empty string, UTF-8 with BOM or Shift_JIS. */
async function* encodeCsv(records: AsyncIterable<(string | null)[]>, encoding: CsvEncoding): AsyncGenerator<Buffer> {
  if (encoding === 'utf8') yield Buffer.from('\uFEFF', 'utf8');
  const encode = (text: string) => (encoding === 'sjis' ? iconv.encode(text, 'CP932') : Buffer.from(text, 'utf8'));
  let pending = '';
  for await (const record of records) {
    pending += `${record.map(csvField).join(',')}\r\n`;
    if (pending.length < CHUNK_CHARACTERS) continue;
    yield encode(pending);
    pending = '';
  }
  if (pending) yield encode(pending);
}

const CHUNK_CHARACTERS = 64 * 1024;

const csvField = (value: string | null): string => (value === null ? '' : value === '' || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
