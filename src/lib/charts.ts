// Charts drawn on the server as SVG (no script, no CDN: LGWAN terminals and print both see the
// same picture). A chart is laid out here and drawn by views/partials/chart.ejs, which puts a
// table of the same figures beside it for screen readers and for anyone who would rather read.
// Every series differs by more than its colour (a hatch pattern for bars, a dash and a marker
// shape for lines), so a chart printed in black and white still says which is which.

export interface ChartSeries {
  /** Shown in the legend and as the table's column heading (already translated). */
  name: string;
  values: number[];
  /** Bars for counts, a line for a limit or a rate drawn over them. */
  kind: 'bar' | 'line';
}

export interface ChartInput {
  /** Unique on the page: the ids of the caption and table derive from it. */
  id: string;
  /** What the chart shows (already translated); also the SVG's accessible name. */
  caption: string;
  /** The x axis labels, one per value (already formatted). */
  categories: string[];
  /** The heading of the table's first column, what the categories are (e.g. 日付). */
  categoryHeading: string;
  series: ChartSeries[];
  /** Values are ratios 0..1 shown as percentages. */
  percent?: boolean;
}

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
}

export interface ChartLine {
  points: string;
  markers: { x: number; y: number; label: string }[];
}

export interface DrawnSeries {
  name: string;
  kind: 'bar' | 'line';
  /** 0-based position among the chart's series: picks the pattern, dash and marker. */
  style: number;
  bars: ChartBar[];
  line: ChartLine | null;
}

export interface ChartView {
  id: string;
  caption: string;
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  grid: { y: number; label: string }[];
  ticks: { x: number; label: string }[];
  series: DrawnSeries[];
  /** The table beside the chart: one row per category, one cell per series. */
  table: { categoryHeading: string; headings: string[]; rows: { category: string; cells: string[] }[] };
}

const WIDTH = 720;
const HEIGHT = 260;
const PLOT = { left: 56, top: 12, right: WIDTH - 12, bottom: HEIGHT - 40 };
const GRID_LINES = 4;
/** At most this many x labels are written; the rest are in the table. */
const MAX_TICKS = 16;

/** The smallest "round" number (1, 2 or 5 times a power of ten) at or above the value. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power;
}

const formatValue = (value: number, percent: boolean | undefined) => (percent ? `${(Math.round(value * 1000) / 10).toLocaleString('ja-JP')}%` : value.toLocaleString('ja-JP'));

/** Lays out the chart: coordinates of bars, lines, grid and labels, and the table beside it. */
export function chartView(input: ChartInput): ChartView {
  const count = input.categories.length;
  const all = input.series.flatMap((series) => series.values);
  // Counts get whole, round grid steps (0, 10, 20, 30, 40), rates a 0-100% axis.
  const top = input.percent ? Math.max(1, Math.max(0, ...all)) : Math.max(1, niceCeiling(Math.max(0, ...all) / GRID_LINES)) * GRID_LINES;
  const plotWidth = PLOT.right - PLOT.left;
  const plotHeight = PLOT.bottom - PLOT.top;
  const band = count === 0 ? plotWidth : plotWidth / count;
  const yOf = (value: number) => PLOT.bottom - (Math.max(0, value) / top) * plotHeight;
  const xOf = (index: number) => PLOT.left + band * index + band / 2;
  const barSeries = input.series.filter((series) => series.kind === 'bar');
  const barWidth = (band * 0.8) / Math.max(1, barSeries.length);
  const label = (index: number, series: ChartSeries) => `${input.categories[index]} ${series.name} ${formatValue(series.values[index] ?? 0, input.percent)}`;

  const series = input.series.map((one, style): DrawnSeries => {
    const values = input.categories.map((_category, index) => one.values[index] ?? 0);
    if (one.kind === 'line') {
      const markers = values.map((value, index) => ({ x: round(xOf(index)), y: round(yOf(value)), label: label(index, one) }));
      return { name: one.name, kind: 'line', style, bars: [], line: { points: markers.map((point) => `${point.x},${point.y}`).join(' '), markers } };
    }
    const slot = barSeries.indexOf(one);
    const bars = values.map((value, index) => ({
      x: round(PLOT.left + band * index + band * 0.1 + barWidth * slot),
      y: round(yOf(value)),
      width: round(Math.max(1, barWidth - 1)),
      height: round(PLOT.bottom - yOf(value)),
      label: label(index, one),
    }));
    return { name: one.name, kind: 'bar', style, bars, line: null };
  });

  const every = Math.max(1, Math.ceil(count / MAX_TICKS));
  return {
    id: input.id,
    caption: input.caption,
    width: WIDTH,
    height: HEIGHT,
    plot: PLOT,
    grid: Array.from({ length: GRID_LINES + 1 }, (_unused, step) => {
      const value = (top / GRID_LINES) * step;
      return { y: round(yOf(value)), label: formatValue(value, input.percent) };
    }),
    ticks: input.categories.flatMap((category, index) => (index % every === 0 ? [{ x: round(xOf(index)), label: category }] : [])),
    series,
    table: {
      categoryHeading: input.categoryHeading,
      headings: input.series.map((one) => one.name),
      rows: input.categories.map((category, index) => ({ category, cells: input.series.map((one) => formatValue(one.values[index] ?? 0, input.percent)) })),
    },
  };
}

const round = (value: number) => Math.round(value * 10) / 10;
