import { describe, expect, it } from 'vitest';
import ejs from 'ejs';
import path from 'node:path';
import { chartView, niceCeiling } from '../../src/lib/charts.js';

const partial = path.resolve('views/partials/chart.ejs');
const input = {
  id: 'bookings',
  caption: '日別の予約数と予約枠',
  categoryHeading: '日付',
  categories: ['12/1', '12/2', '12/3'],
  series: [
    { name: '予約数', kind: 'bar' as const, values: [10, 0, 38] },
    { name: '予約枠', kind: 'line' as const, values: [40, 40, 40] },
  ],
};

describe('server-side charts', () => {
  it('When the largest value is 38 of a limit of 40, then the axis steps by 10 up to 40 and a bar of 0 has no height', () => {
    const view = chartView(input);
    expect(niceCeiling(38)).toBe(50);
    expect(view.grid.map((line) => line.label)).toEqual(['0', '10', '20', '30', '40']);
    const [bars, line] = view.series;
    expect(bars!.bars[1]!.height).toBe(0);
    expect(bars!.bars[2]!.height).toBeGreaterThan(bars!.bars[0]!.height * 3.7);
    expect(line!.line!.markers.map((marker) => marker.y)).toEqual([line!.line!.markers[0]!.y, line!.line!.markers[0]!.y, line!.line!.markers[0]!.y]);
    expect(bars!.bars[2]!.y).toBeGreaterThan(line!.line!.markers[2]!.y);
  });

  it('When a chart is drawn, then the SVG is named by its caption and a table beside it holds every figure', async () => {
    const html = await ejs.renderFile(partial, { chart: chartView(input) });
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="bookings-caption"[^>]*aria-describedby="bookings-table"/);
    expect(html).toContain('<figcaption id="bookings-caption">日別の予約数と予約枠</figcaption>');
    const rows = [...html.matchAll(/<tr><th scope="row">([^<]*)<\/th><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td><\/tr>/g)].map((match) => match.slice(1));
    expect(rows).toEqual([
      ['12/1', '10', '40'],
      ['12/2', '0', '40'],
      ['12/3', '38', '40'],
    ]);
    expect(html).toContain('<title>12/3 予約数 38</title>');
  });

  it('When values are rates, then they are written as percentages and the axis stops at 100%', () => {
    const view = chartView({ ...input, series: [{ name: '来庁なし率', kind: 'line', values: [0.125, 0, 0.5] }], percent: true });
    expect(view.table.rows.map((row) => row.cells[0])).toEqual(['12.5%', '0%', '50%']);
    expect(view.grid.at(-1)!.label).toBe('100%');
  });

  it('When the largest count is 1 or 7, then the grid steps are whole numbers', () => {
    const labels = (largest: number) => chartView({ ...input, series: [{ name: '予約数', kind: 'bar', values: [largest] }] }).grid.map((line) => line.label);
    expect(labels(1)).toEqual(['0', '1', '2', '3', '4']);
    expect(labels(7)).toEqual(['0', '2', '4', '6', '8']);
  });

  it('When a month has 31 days, then at most 16 x labels are written and the table keeps all 31', () => {
    const categories = Array.from({ length: 31 }, (_unused, day) => `${day + 1}日`);
    const view = chartView({ ...input, categories, series: [{ name: '予約数', kind: 'bar', values: categories.map((_c, day) => day) }] });
    expect(view.ticks.length).toBeLessThanOrEqual(16);
    expect(view.table.rows).toHaveLength(31);
  });

  it('When every value is 0 or there are no days, then the chart still draws without NaN', async () => {
    const html = await ejs.renderFile(partial, { chart: chartView({ ...input, categories: [], series: [{ name: '予約数', kind: 'bar', values: [] }] }) });
    expect(html).not.toContain('NaN');
    const zero = await ejs.renderFile(partial, { chart: chartView({ ...input, series: [{ name: '予約数', kind: 'bar', values: [0, 0, 0] }] }) });
    expect(zero).not.toContain('NaN');
  });
});
