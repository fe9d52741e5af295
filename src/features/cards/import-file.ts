// Reads a J-LIS card-production file as a stream of numbered lines, laid out by an ImportProfile:
// CSV (csv-parse, with line numbers) or fixed width (byte positions, as the mainframe writes them).
// Memory stays flat: one chunk and one record at a time.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { AppError } from '../../lib/app-error.js';
import { CARD_FIELDS, type CardField, type DateFormat, type RawCardRow } from './card-row.js';

export type FileEncoding = 'utf8' | 'sjis';
export type ProfileColumns = Partial<Record<CardField, number | [number, number]>>;

export interface ImportLayout {
  format: 'csv' | 'fixed';
  encoding: 'auto' | FileEncoding;
  hasHeader: boolean;
  dateFormat: DateFormat;
  columns: ProfileColumns;
}

/** Bytes read so far, for the progress bar. */
export interface ReadCounter {
  bytes: number;
}

/**
 * The file is read 64 KiB at a time: the lines of one piece are parsed as a batch and live until
 * it is staged, so smaller pieces keep fewer of them alive through V8's young-generation
 * collections (256 KiB pieces: preview 1.07-1.21 s, 64 KiB: 1.01-1.06 s, bench/README.md).
 */
const READ_BYTES = 64 * 1024;

function readBytes(path: string, counter?: ReadCounter) {
  const stream = createReadStream(path, { highWaterMark: READ_BYTES });
  if (counter) stream.on('data', (chunk) => (counter.bytes += chunk.length));
  return stream;
}

export interface FileLine {
  line: number;
  raw: RawCardRow;
  /** Set when the line cannot be laid out at all (too few columns). */
  shortOf?: CardField;
}

const SNIFF_BYTES = 64 * 1024;

/** UTF-8 when the first 64 KiB are valid UTF-8 (a character cut at the end is allowed), else Shift_JIS. */
export async function detectEncoding(path: string): Promise<FileEncoding> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    let sample = buffer.subarray(0, bytesRead);
    if (bytesRead === SNIFF_BYTES) sample = sample.subarray(0, sample.lastIndexOf(0x0a) + 1 || bytesRead);
    return isUtf8(sample) ? 'utf8' : 'sjis';
  } finally {
    await handle.close();
  }
}

/**
 * Splits a byte stream into lines (LF or CRLF) without decoding: safe for Shift_JIS, whose trail
 * bytes never equal LF. The lines of each chunk come out together, as one array.
 */
class ByteLines extends Transform {
  private rest: Buffer = Buffer.alloc(0);
  constructor() {
    super({ readableObjectMode: true });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
      lines.push(trimCr(data.subarray(start, end)));
      start = end + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    if (lines.length > 0) this.push(lines);
    callback();
  }
  override _flush(callback: TransformCallback): void {
    if (this.rest.length > 0) this.push([trimCr(this.rest)]);
    callback();
  }
}

function trimCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

function mappedFields(columns: ProfileColumns): CardField[] {
  return CARD_FIELDS.filter((field) => columns[field] !== undefined);
}

function decode(bytes: Buffer, encoding: FileEncoding): string {
  return encoding === 'utf8' ? bytes.toString('utf8') : iconv.decode(bytes, 'CP932');
}

async function* fixedWidthLines(path: string, layout: ImportLayout, encoding: FileEncoding, counter?: ReadCounter): AsyncGenerator<FileLine[]> {
  const fields = mappedFields(layout.columns);
  let line = 0;
  const record = (bytes: Buffer): FileLine | null => {
    line += 1;
    if ((line === 1 && layout.hasHeader) || bytes.length === 0) return null;
    const body = line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
    const raw: RawCardRow = {};
    let shortOf: CardField | undefined;
    for (const field of fields) {
      const [start, width] = layout.columns[field] as [number, number];
      if (body.length < start - 1 + width && !shortOf) shortOf = field;
      raw[field] = decode(body.subarray(start - 1, start - 1 + width), encoding);
    }
    return { line, raw, shortOf };
  };
  for await (const lines of readBytes(path, counter).pipe(new ByteLines()) as AsyncIterable<Buffer[]>) {
    const records = lines.map(record).filter((record) => record !== null);
    if (records.length > 0) yield records;
  }
}

/**
 * Whether a CSV file splits on commas and line breaks alone, as csv-parse would split it: no
 * quote anywhere, and one kind of line break throughout (CRLF, or LF). The bytes tell, whatever
 * the encoding: in Shift_JIS a second byte is never a quote, CR or LF.
 */
async function isPlainCsv(path: string): Promise<boolean> {
  let crs = 0;
  let crlfs = 0;
  let lfs = 0;
  let previous = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    if (chunk.includes(0x22)) return false;
    for (let at = chunk.indexOf(0x0d); at !== -1; at = chunk.indexOf(0x0d, at + 1)) crs += 1;
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) {
      if ((at === 0 ? previous : chunk[at - 1]) === 0x0d) crlfs += 1;
      else lfs += 1;
    }
    previous = chunk[chunk.length - 1];
  }
  return crs === crlfs && (crlfs === 0 || lfs === 0);
}

/** The lines of a plain CSV file (isPlainCsv), numbered and split as csv-parse numbers and splits them. */
async function* plainCsvLines(path: string, layout: ImportLayout, encoding: FileEncoding, counter?: ReadCounter): AsyncGenerator<FileLine[]> {
  const fields = mappedFields(layout.columns);
  let line = 0;
  let rest = '';
  const record = (text: string) => {
    line += 1;
    const body = text.endsWith('\r') ? text.slice(0, -1) : text;
    if ((line === 1 && layout.hasHeader) || body.trim() === '') return null;
    const cells = body.split(',');
    return cells.every((cell) => cell.trim() === '') ? null : csvLine(cells, line, layout, fields);
  };
  for await (const text of readBytes(path, counter).pipe(iconv.decodeStream(encoding === 'utf8' ? 'utf8' : 'CP932')) as AsyncIterable<string>) {
    const data = line === 0 && rest === '' && text.startsWith('\uFEFF') ? text.slice(1) : rest + text;
    const found: FileLine[] = [];
    let start = 0;
    for (let end = data.indexOf('\n'); end !== -1; end = data.indexOf('\n', start)) {
      const next = record(data.slice(start, end));
      start = end + 1;
      if (next) found.push(next);
    }
    rest = data.slice(start);
    if (found.length > 0) yield found;
  }
  const last = rest === '' ? null : record(rest);
  if (last) yield [last];
}

/** Lines of a file with quotes, read one record at a time, handed on this many together (as a plain file's are by the piece). */
const QUOTED_BATCH_LINES = 500;

async function* csvLines(path: string, layout: ImportLayout, encoding: FileEncoding, counter?: ReadCounter): AsyncGenerator<FileLine[]> {
  if (await isPlainCsv(path)) {
    yield* plainCsvLines(path, layout, encoding, counter);
    return;
  }
  const fields = mappedFields(layout.columns);
  const firstLine = layout.hasHeader ? 2 : 1;
  // Empty lines come through as records (skipped below), so the line after the last record is
  // where a quote left open began: csv-parse itself only reports the line where the file ended.
  // The last record is noted as the parser makes it, not as it is read from the stream here:
  // the parser's error drops the records it had made and not yet handed over.
  let lastLine = firstLine - 1;
  const noteLine = (record: string[], context: { lines: number }) => ((lastLine = context.lines), record);
  const parser = readBytes(path, counter)
    .pipe(iconv.decodeStream(encoding === 'utf8' ? 'utf8' : 'CP932'))
    .pipe(parse({ bom: true, info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, from_line: firstLine, on_record: noteLine }));
  let batch: FileLine[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (record.every((cell) => cell.trim() === '')) continue;
      batch.push(csvLine(record, info.lines, layout, fields));
      if (batch.length === QUOTED_BATCH_LINES) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } catch (error) {
    if ((error as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED') throw new AppError(400, 'unclosed_quote', 'cards.import.unclosedQuote', { line: lastLine + 1 });
    throw error;
  }
}

function csvLine(record: string[], line: number, layout: ImportLayout, fields: CardField[]): FileLine {
  const raw: RawCardRow = {};
  let shortOf: CardField | undefined;
  for (const field of fields) {
    const column = layout.columns[field] as number;
    if (column > record.length && !shortOf) shortOf = field;
    raw[field] = record[column - 1] ?? '';
  }
  return { line, raw, shortOf };
}

/**
 * Every data line of the file, numbered as an editor shows them (1 = first line of the file), in
 * batches: a file of 100,000 lines is read in a few hundred steps rather than 100,000.
 */
export function readImportFile(path: string, layout: ImportLayout, encoding: FileEncoding, counter?: ReadCounter): AsyncGenerator<FileLine[]> {
  return layout.format === 'fixed' ? fixedWidthLines(path, layout, encoding, counter) : csvLines(path, layout, encoding, counter);
}
