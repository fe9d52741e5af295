// The forecast page against a real database: its inputs equal the rows that made them, whatever
// the server's TZ (this file also runs in America/Los_Angeles), and it keeps to the counter scope.
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterForecast } from '../../src/features/reports/forecast/forecast.js';
import { forecastInputs, weekStartOf } from '../../src/features/reports/forecast/inputs.js';
import { jstInstant } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createStaff } from '../helpers/factories.js';
import { binaryBody } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';
import { forecastScene, MONDAY, type ForecastScene } from './forecast-scene.js';

let t: TestApp;
let scene: ForecastScene;
const MONDAY_MORNING = '2027-01-18T10:00:00+09:00';
const SUNDAY_NIGHT = '2027-01-24T23:30:00+09:00';

beforeAll(async () => {
  t = await createTestApp();
  scene = await forecastScene(t.db);
});

/** The summary table's cells of one row (its heading is the counter's name). */
function summaryRow(html: string, name: string): string[] {
  const table = html.slice(html.indexOf('id="forecast-summary"'), html.indexOf('</table>', html.indexOf('id="forecast-summary"')));
  const row = table.split('<tr').find((part) => part.includes(`<th scope="row">${name}</th>`));
  if (!row) return [];
  return [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((match) => match[1]!.trim());
}

describe('forecast inputs', () => {
  it('When it is Monday 10:00 in Japan, then arrivals fall in their Japan-time weeks (a Monday 00:15 card is this week), and places count from now', async () => {
    const { now } = pinClock(MONDAY_MORNING);
    expect(weekStartOf(now)).toBe(MONDAY);
    const inputs = await forecastInputs(t.db, now, [scene.a.id, scene.b.id]);
    expect(inputs.get(scene.a.id)).toEqual({ pastWeeks: [0, 0, 0, 0, 0, 1, 0, 15], arrivedThisWeek: 1, backlog: 2, places: [6, 3, 0, 0, 0, 0, 0, 0] });
    expect(inputs.get(scene.b.id)).toEqual({ pastWeeks: [0, 1, 0, 0, 0, 0, 1, 0], arrivedThisWeek: 0, backlog: 1, places: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(inputs.get(null)?.backlog).toBe(1);
  });

  it('When it is Sunday 23:30 in Japan, then it is still the same week: the same arrivals, and only places not yet started', async () => {
    const { now } = pinClock(SUNDAY_NIGHT);
    expect(weekStartOf(now)).toBe(MONDAY);
    const inputs = await forecastInputs(t.db, now, [scene.a.id]);
    expect(inputs.get(scene.a.id)).toEqual({ pastWeeks: [0, 0, 0, 0, 0, 1, 0, 15], arrivedThisWeek: 1, backlog: 2, places: [0, 3, 0, 0, 0, 0, 0, 0] });
    expect(weekStartOf(new Date(jstInstant('2027-01-25').getTime()))).toBe('2027-01-25');
  });

  it('When the forecast is made on Monday, then counter A is short first in the week of 2027-02-01 and B at once', async () => {
    const { now } = pinClock(MONDAY_MORNING);
    const forecast = await counterForecast(t.db, now, [scene.a.id, scene.b.id], { unassigned: true });
    const [a, b, unassigned, total] = forecast.rows;
    expect(forecast.weekStarts[2]).toBe('2027-02-01');
    expect(a!.weeks.slice(0, 3).map((week) => [week.expectedArrivals, week.demand, week.places, week.carriedOut])).toEqual([
      [1, 3, 6, 0],
      [2, 2, 3, 0],
      [2, 2, 0, 2],
    ]);
    expect([a!.weeklyArrivals, a!.firstShortfall, b!.firstShortfall, unassigned!.kind, unassigned!.backlog, total!.kind, total!.backlog]).toEqual([
      2,
      2,
      0,
      'unassigned',
      1,
      'total',
      4,
    ]);
  });
});

describe('forecast page', () => {
  it('When an admin opens it, then the summary shows each counter’s figures and the short weeks in words with what to do', async () => {
    pinClock(MONDAY_MORNING);
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const html = (await (await staffAgent(t.app, user.loginId, password)).get('/staff/reports/forecast').expect(200)).text;
    expect(summaryRow(html, scene.a.name)).toEqual(['2', '2', '2027年2月1日(月)からの週に不足']);
    expect(summaryRow(html, scene.b.name)).toEqual(['0', '1', '2027年1月18日(月)からの週に不足']);
    expect(summaryRow(html, '未割当(交付場所なし)')).toEqual(['0', '1', '交付場所が未割当']);
    expect(html).toContain('role="alert" id="forecast-notice"');
    expect(html).toContain(`${scene.b.name}: 2027年1月18日(月)からの週に不足する見込み`);
    expect(html).toContain('2027年2月1日(月)からの週: 需要2人に対して空き枠0人(不足2人)');
    expect(html).toContain('予約枠を増やす日を検討してください。');
    expect(html).toContain('先週までの8週間');
  });

  it('When a clerk of counter A opens it, then only A (and the cards of no counter) are shown; B by id is refused', async () => {
    pinClock(MONDAY_MORNING);
    const { user, password } = await createStaff(t.db, { role: 'staff', counterIds: [scene.a.id] });
    const clerk = await staffAgent(t.app, user.loginId, password);
    const html = (await clerk.get('/staff/reports/forecast').expect(200)).text;
    expect(html).toContain(scene.a.name);
    expect(html).not.toContain(scene.b.name);
    expect(summaryRow(html, '合計')).toEqual(['2', '3', '2027年2月1日(月)からの週に不足']);
    const refused = await clerk.get(`/staff/reports/forecast?counter=${scene.b.id}`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('この交付場所の見通しを見る権限がありません');
    const own = (await clerk.get(`/staff/reports/forecast?counter=${scene.a.id}`).expect(200)).text;
    expect(own).not.toContain('未割当(交付場所なし)');
  });

  it('When an operator opens it, then the app answers 403', async () => {
    const { user, password } = await createStaff(t.db, { role: 'operator' });
    expect((await (await staffAgent(t.app, user.loginId, password)).get('/staff/reports/forecast')).status).toBe(403);
  });

  it.each([
    ['counter=abc', 400],
    ['counter=1%00', 400],
    ['counter=%00', 400],
    ['counter=99999999999999999999', 400],
    ['counter=1&counter=2', 400],
    ['counter=1.5', 400],
    ['counter=-1', 400],
    ['counter=2147483648', 400],
    ['counter=%EF%BC%92%EF%BC%91%EF%BC%94%EF%BC%97%EF%BC%94%EF%BC%98%EF%BC%93%EF%BC%96%EF%BC%94%EF%BC%98', 400],
    ['counter=0', 400],
    ['counter=999999999', 404],
    ['counter=2147483647', 404],
  ])('When the query is %s, then the answer is %i in Japanese, not a 500', async (query, status) => {
    pinClock(MONDAY_MORNING);
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const response = await (await staffAgent(t.app, user.loginId, password)).get(`/staff/reports/forecast?${query}`);
    expect(response.status).toBe(status);
    expect(response.text).toMatch(status === 400 ? /交付場所の指定が正しくありません/ : /指定された交付場所は見つかりません/);
  });

  it('When the counter id is typed in full-width digits, then it is read as the same counter, as every other console query reads ids', async () => {
    pinClock(MONDAY_MORNING);
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const agent = await staffAgent(t.app, user.loginId, password);
    const fullWidth = [...String(scene.a.id)].map((digit) => String.fromCharCode(0xff10 + Number(digit))).join('');
    const html = (await agent.get(`/staff/reports/forecast?counter=${encodeURIComponent(fullWidth)}`).expect(200)).text;
    expect(summaryRow(html, scene.a.name)).toEqual(['2', '2', '2027年2月1日(月)からの週に不足']);
    expect(html).not.toContain(scene.b.name);
  });
});

describe('forecast CSV', () => {
  const download = async (agent: Awaited<ReturnType<typeof staffAgent>>, path: string) =>
    (await agent.get(path).buffer(true).parse(binaryBody)) as { status: number; headers: Record<string, string>; body: Buffer; text: string };
  const rowsOf = (bytes: Buffer) => parse(bytes.subarray(3).toString('utf8')) as string[][];

  it('When an admin downloads the tables, then the summary holds the page’s rows and the weeks every row’s eight weeks, UTF-8 with a BOM or Shift_JIS', async () => {
    pinClock(MONDAY_MORNING);
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const agent = await staffAgent(t.app, user.loginId, password);
    const page = (await agent.get('/staff/reports/forecast').expect(200)).text;
    expect(page).toContain('href="/staff/reports/forecast/summary.csv"');
    const summary = await download(agent, '/staff/reports/forecast/summary.csv');
    expect(summary.status).toBe(200);
    expect(summary.headers['content-disposition']).toContain('attachment');
    expect([...summary.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = rowsOf(summary.body);
    expect(rows[0]).toEqual(['交付場所', '1週間あたりの到着見込み(過去8週の平均)', '未予約のカード', '見通し']);
    expect(rows.find((row) => row[0] === scene.a.name)).toEqual([scene.a.name, '2', '2', '2027年2月1日(月)からの週に不足']);
    expect(rows.find((row) => row[0] === '未割当(交付場所なし)')?.[3]).toBe('交付場所が未割当');
    const weeks = rowsOf((await download(agent, '/staff/reports/forecast/weeks.csv')).body);
    expect(weeks[0]).toEqual(['交付場所', '週(月曜日から)', '需要', '持ち越し', '空き枠']);
    const a = weeks.filter((row) => row[0] === scene.a.name);
    expect(a).toHaveLength(8);
    expect(a.slice(0, 3)).toEqual([
      [scene.a.name, '2027年1月18日(月)', '3', '0', '6'],
      [scene.a.name, '2027年1月25日(月)', '2', '0', '3'],
      [scene.a.name, '2027年2月1日(月)', '2', '2', '0'],
    ]);
    const sjis = await download(agent, '/staff/reports/forecast/weeks.csv?encoding=sjis');
    expect(sjis.headers['content-type']).toContain('Shift_JIS');
    expect(iconv.decode(sjis.body, 'CP932').startsWith('交付場所,週(月曜日から)')).toBe(true);
  });

  it('When a clerk of counter A downloads, then only A is in it; B by id is refused; bad tables and ids are Japanese 400s', async () => {
    pinClock(MONDAY_MORNING);
    const { user, password } = await createStaff(t.db, { role: 'staff', counterIds: [scene.a.id] });
    const clerk = await staffAgent(t.app, user.loginId, password);
    const names = rowsOf((await download(clerk, '/staff/reports/forecast/weeks.csv')).body).map((row) => row[0]);
    expect(names).toContain(scene.a.name);
    expect(names).not.toContain(scene.b.name);
    expect((await clerk.get(`/staff/reports/forecast/summary.csv?counter=${scene.b.id}`)).status).toBe(403);
    for (const path of ['/staff/reports/forecast/people.csv', '/staff/reports/forecast/summary.csv?counter=2147483648', '/staff/reports/forecast/summary.csv?counter=1%00']) {
      const response = await clerk.get(path);
      expect(response.status, path).toBe(400);
      expect(response.text).toMatch(/その表はありません|交付場所の指定が正しくありません/);
    }
  });
});
