// The J-LIS file reader: a file without quotes is split by a plain line and comma splitter, any
// other by csv-parse. Both must number and cut every line the same way, so each file here is
// read twice: as it is, and with one quoted cell added in a column no profile field uses (which
// sends it through csv-parse).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImportFile, type FileEncoding, type FileLine, type ImportLayout } from '../../src/features/cards/import-file.js';
import { sjis } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'import-file-'));
const COLUMNS = { noticeId: 1, birthDate: 2, name: 3, nameKana: 4, cardNumber: 5, counterCode: 6, storagePlace: 7, noticeSentOn: 8, noticeValidUntil: 9 };
const layout = (hasHeader: boolean): ImportLayout => ({ format: 'csv', encoding: 'auto', hasHeader, dateFormat: 'YYYYMMDD', columns: COLUMNS });

async function read(name: string, bytes: Buffer, encoding: FileEncoding, hasHeader: boolean): Promise<FileLine[]> {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const lines: FileLine[] = [];
  for await (const batch of readImportFile(file, layout(hasHeader), encoding)) lines.push(...batch);
  return lines;
}

const full = (n: number) => `0000100000000${n},19800401,髙﨑 太郎${n}, ﾀｶｻｷ ﾀﾛｳ ,C${n},本庁,箱${n}-1,20261101,20270531`;
const VARIANTS: Record<string, string[]> = {
  'blank and space-only lines, a short line, full-width spaces': [full(1), '', '   ', full(2), '0000100000000003,19800401', '　,　', full(4), ',,,,,,,,', full(5)],
  'a last line without a line break': [full(1), full(2)],
  'extra columns and empty cells': [`${full(1)},extra,more`, '0000100000000002,,,,,,,,', full(3)],
};

describe('reading a CSV J-LIS file', () => {
  for (const [variant, lines] of Object.entries(VARIANTS)) {
    for (const [eol, encoding, hasHeader] of [
      ['\r\n', 'sjis', true],
      ['\n', 'utf8', false],
      ['\r\n', 'utf8', true],
    ] as const) {
      it(`When a file has ${variant} (${JSON.stringify(eol)}, ${encoding}, header ${hasHeader}), then the quote-free reader gives exactly the lines csv-parse gives`, async () => {
        const body = [...(hasHeader ? ['通知書番号,生年月日,氏名'] : []), ...lines];
        const last = variant.startsWith('a last line') ? '' : eol;
        const encode = (text: string) => (encoding === 'sjis' ? sjis(text) : Buffer.from((hasHeader ? '\uFEFF' : '') + text, 'utf8'));
        const plain = await read('plain.csv', encode(body.join(eol) + last), encoding, hasHeader);
        const quoted = body.map((line, index) => (index === body.length - 1 ? `${line},,,,,,,,,"quoted"` : line));
        const parsed = await read('quoted.csv', encode(quoted.join(eol) + last), encoding, hasHeader);
        expect(plain.length).toBeGreaterThan(0);
        expect(plain).toEqual(parsed);
      });
    }
  }

  it('When line breaks are mixed (CRLF, then LF alone), then the file is read as csv-parse reads it', async () => {
    const text = `${full(1)}\r\n${full(2)}\n${full(3)}\r\n${full(4)}`;
    const mixed = await read('mixed.csv', Buffer.from(text, 'utf8'), 'utf8', false);
    expect(mixed).toEqual(await read('mixed-quoted.csv', Buffer.from(`${text},,,,,,,,,"quoted"`, 'utf8'), 'utf8', false));
    expect(mixed.length).toBe(3); // csv-parse takes CRLF as the line break, so LF alone stays inside a cell
  });
});
