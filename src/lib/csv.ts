// CSV that opens correctly in Excel on Windows: UTF-8 with BOM (default) or Shift_JIS (CP932)
// on request, CRLF line ends, spreadsheet formulas neutralised, streamed row by row.
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { stringify } from 'csv-stringify';
import iconv from 'iconv-lite';

export type CsvEncoding = 'utf8' | 'sjis';
export type CsvCell = string | number | boolean | Date | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell that Excel would run as a formula (=, +, -, @, tab, CR) is prefixed with '. */
export function neutraliseFormula(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'number') return text; // a plain negative number is data, not a formula
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function parseCsvEncoding(value: unknown): CsvEncoding {
  return value === 'sjis' ? 'sjis' : 'utf8';
}

/** Content-Disposition that no file name can break (no CR/LF, quotes or path), RFC 6266/5987. */
export function attachmentHeader(filename: string): string {
  const safe = filename.replace(/[\r\n"\\/]/g, '_');
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safe)}`;
}

/** Streams rows as a CSV download; memory stays flat however many rows the source yields. */
export async function sendCsv(
  res: Response,
  options: { filename: string; encoding: CsvEncoding; header: string[]; rows: AsyncIterable<CsvCell[]> | Iterable<CsvCell[]> },
): Promise<void> {
  res.setHeader('Content-Type', options.encoding === 'sjis' ? 'text/csv; charset=Shift_JIS' : 'text/csv; charset=UTF-8');
  res.setHeader('Content-Disposition', attachmentHeader(options.filename));
  res.setHeader('Cache-Control', 'no-store');
  const source = Readable.from(
    (async function* () {
      yield options.header.map(neutraliseFormula);
      for await (const row of options.rows) yield row.map(neutraliseFormula);
    })(),
  );
  // csv-stringify emits one whole record per chunk, so no character is split across chunks.
  const encode = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, options.encoding === 'sjis' ? iconv.encode(chunk.toString('utf8'), 'CP932') : chunk);
    },
  });
  if (options.encoding === 'utf8') res.write('\uFEFF');
  await pipeline(source, stringify({ record_delimiter: 'windows', quoted_match: /[",\r\n]/ }), encode, res);
}

/** Reads rows in pages by id so a year of bookings never sits in memory at once. */
export async function* pagedRows<T extends { id: number | bigint }>(fetchPage: (afterId: number | bigint | undefined) => Promise<T[]>): AsyncGenerator<T> {
  let after: number | bigint | undefined;
  for (;;) {
    const page = await fetchPage(after);
    if (page.length === 0) return;
    yield* page;
    after = page[page.length - 1].id;
  }
}
