import express from 'express';
import iconv from 'iconv-lite';
import request from 'supertest';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { binaryBody } from '../helpers/http.js';
import { attachmentHeader, neutraliseFormula, sendCsv, type CsvEncoding } from '../../src/lib/csv.js';

function appSending(encoding: CsvEncoding, rows: (string | number)[][], filename = '予約一覧.csv') {
  const app = express();
  app.get('/csv', async (_req, res) => {
    await sendCsv(res, { filename, encoding, header: ['氏名', '備考'], rows });
  });
  return app;
}

describe('Excel-safe CSV', () => {
  it('When exported as UTF-8, then it starts with a BOM, uses CRLF, and parses back to the same cells', async () => {
    const response = await request(
      appSending('utf8', [
        ['髙橋 花子', '=HYPERLINK("x")'],
        ['山﨑', 'a,b "c"\n次の行'],
      ]),
    )
      .get('/csv')
      .buffer(true)
      .parse(binaryBody);
    const bytes = response.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('\r\n');
    const rows = parse(bytes.subarray(3).toString('utf8')) as string[][];
    expect(rows).toEqual([
      ['氏名', '備考'],
      ['髙橋 花子', `'=HYPERLINK("x")`],
      ['山﨑', 'a,b "c"\n次の行'],
    ]);
  });

  it('When exported as Shift_JIS, then the bytes decode as CP932 (including 髙 and 﨑)', async () => {
    const response = await request(appSending('sjis', [['髙橋', 'ｶﾀｶﾅ']]))
      .get('/csv')
      .buffer(true)
      .parse(binaryBody);
    expect(response.headers['content-type']).toContain('Shift_JIS');
    const rows = parse(iconv.decode(response.body as Buffer, 'CP932')) as string[][];
    expect(rows[1]).toEqual(['髙橋', 'ｶﾀｶﾅ']);
  });

  it.each(['=1+1', '+81-3', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'])('When a cell is %j, then it cannot run as a formula', (value) => {
    expect(neutraliseFormula(value).startsWith("'")).toBe(true);
  });

  it('When a number is negative, then it stays a number', () => {
    expect(neutraliseFormula(-3)).toBe('-3');
  });

  it('When a file name carries CR/LF or quotes, then the header cannot be split or broken', () => {
    const header = attachmentHeader('a"\r\nSet-Cookie: x=1.csv');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toMatch(/^attachment; filename="a___Set-Cookie: x=1.csv"; filename\*=UTF-8''/);
  });
});
