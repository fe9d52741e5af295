// The monthly report (実績報告書) as tables and charts: every table the page shows is also a CSV
// download, built once here from the counts (src/features/reports/counts.ts).
import type { Reader } from '../../db/client.js';
import { chartView, type ChartView } from '../../lib/charts.js';
import type { Translate } from '../../lib/i18n.js';
import { addDays, formatDateJa, jstInstant, type IsoDate } from '../../lib/jst.js';
import { categoryTotals, inquiryCategories, type CategoryTotal, type InquiryCategory } from '../inquiries/inquiries.js';
import { ACTIVITY_MEASURES, AGE_BANDS, NO_ACTIVITY, REPORT_CHANNELS, reportCounts, type Activity, type CapacityCount, type Counts } from './counts.js';

export const REPORT_TABLES = ['summary', 'counters', 'procedures', 'channels', 'days', 'cards', 'inquiries'] as const;
export type ReportTableName = (typeof REPORT_TABLES)[number];

export interface ReportTable {
  name: ReportTableName;
  caption: string;
  /** The first column's heading, then one per figure. */
  columns: string[];
  rows: { heading: string; cells: (number | string)[] }[];
}

export interface ReportCounter {
  id: number;
  name: string;
}

export interface MonthReport {
  month: string;
  counters: ReportCounter[];
  tables: Record<ReportTableName, ReportTable>;
  charts: ChartView[];
}

/** Every day of a month (YYYY-MM). */
function monthDays(month: string): IsoDate[] {
  const days: IsoDate[] = [];
  for (let day = `${month}-01`; day.startsWith(month); day = addDays(day, 1)) days.push(day);
  return days;
}

/** No-shows among the visits and no-shows, as a ratio; null when there were none of either. */
function noShowRate(activity: Activity): number | null {
  const due = activity.visits + activity.noShows;
  return due === 0 ? null : activity.noShows / due;
}

const percentText = (ratio: number | null) => (ratio === null ? '-' : `${Math.round(ratio * 1000) / 10}%`);
const activityCells = (activity: Activity) => ACTIVITY_MEASURES.map((measure) => activity[measure]);
const capacityCells = (capacity: CapacityCount | undefined) => [capacity?.offered ?? 0, capacity?.used ?? 0];

/** The inquiries of the month per category (the categories in their order, then the total). */
function inquiryRows(categories: InquiryCategory[], totals: CategoryTotal[], t: Translate): ReportTable['rows'] {
  const rows = categories.map((category) => {
    const total = totals.find((row) => row.categoryCode === category.code);
    return { heading: category.label, cells: [total?.received ?? 0, total?.escalated ?? 0] };
  });
  const sum = (index: number) => rows.reduce((all, row) => all + (row.cells[index] as number), 0);
  return [...rows, { heading: t('reports.inquiries.total'), cells: [sum(0), sum(1)] }];
}

/** The procedures counted in the order they were set up (the SQL groups come in no order), those since deleted last. */
function procedureOrder(counted: Map<string, Activity>, procedures: Map<string, string>): [string, Activity][] {
  const order = new Map([...procedures.keys()].map((code, index) => [code, index]));
  const position = (code: string) => order.get(code) ?? order.size;
  return [...counted].sort(([a], [b]) => position(a) - position(b) || a.localeCompare(b));
}

interface Inquiries {
  categories: InquiryCategory[];
  totals: CategoryTotal[];
}

function tables(
  counts: Counts,
  inquiries: Inquiries,
  counters: ReportCounter[],
  procedures: Map<string, string>,
  days: IsoDate[],
  t: Translate,
): Record<ReportTableName, ReportTable> {
  const measures = ACTIVITY_MEASURES.map((measure) => t(`reports.measure.${measure}`));
  const capacity = [t('reports.measure.offered'), t('reports.measure.used')];
  const table = (name: ReportTableName, first: string, columns: string[], rows: ReportTable['rows']): ReportTable => ({
    name,
    caption: t(`reports.table.${name}`),
    columns: [first, ...columns],
    rows,
  });
  const { all, cards } = counts;
  return {
    summary: table(
      'summary',
      t('reports.column.item'),
      [t('reports.column.count')],
      [
        ...ACTIVITY_MEASURES.map((measure) => ({ heading: t(`reports.measure.${measure}`), cells: [all[measure]] })),
        { heading: t('reports.measure.noShowRate'), cells: [percentText(noShowRate(all))] },
        { heading: t('reports.measure.offered'), cells: [counts.capacity.all.offered] },
        { heading: t('reports.measure.used'), cells: [counts.capacity.all.used] },
        { heading: t('reports.measure.imported'), cells: [cards.all.imported] },
        { heading: t('reports.measure.returned'), cells: [cards.all.returned] },
        ...AGE_BANDS.map((band) => ({ heading: t(`reports.age.${band}`), cells: [cards.all[band]] })),
      ],
    ),
    counters: table(
      'counters',
      t('reports.column.counter'),
      [...measures, ...capacity],
      counters.map((counter) => ({
        heading: counter.name,
        cells: [...activityCells(counts.byCounter.get(counter.id) ?? NO_ACTIVITY), ...capacityCells(counts.capacity.byCounter.get(counter.id))],
      })),
    ),
    procedures: table(
      'procedures',
      t('reports.column.procedure'),
      measures,
      procedureOrder(counts.byProcedure, procedures).map(([code, activity]) => ({
        heading: procedures.get(code) ?? t('reports.procedure.deleted'),
        cells: activityCells(activity),
      })),
    ),
    channels: table(
      'channels',
      t('reports.column.channel'),
      measures,
      REPORT_CHANNELS.map((channel) => ({ heading: t(`reports.channel.${channel}`), cells: activityCells(counts.byChannel.get(channel) ?? NO_ACTIVITY) })),
    ),
    days: table(
      'days',
      t('reports.column.day'),
      [...measures, ...capacity, t('reports.measure.noShowRate')],
      days.map((day) => {
        const activity = counts.byDay.get(day) ?? NO_ACTIVITY;
        return { heading: formatDateJa(day), cells: [...activityCells(activity), ...capacityCells(counts.capacity.byDay.get(day)), percentText(noShowRate(activity))] };
      }),
    ),
    cards: table(
      'cards',
      t('reports.column.counter'),
      [t('reports.measure.imported'), t('reports.measure.returned'), ...AGE_BANDS.map((band) => t(`reports.age.${band}`))],
      counters.map((counter) => {
        const count = cards.byCounter.get(counter.id);
        return { heading: counter.name, cells: [count?.imported ?? 0, count?.returned ?? 0, ...AGE_BANDS.map((band) => count?.[band] ?? 0)] };
      }),
    ),
    inquiries: table(
      'inquiries',
      t('reports.inquiries.category'),
      [t('reports.inquiries.received'), t('reports.inquiries.escalated')],
      inquiryRows(inquiries.categories, inquiries.totals, t),
    ),
  };
}

function charts(counts: Counts, days: IsoDate[], t: Translate): ChartView[] {
  const categories = days.map((day) => String(Number(day.slice(8))));
  const categoryHeading = t('reports.column.dayOfMonth');
  return [
    chartView({
      id: 'chart-capacity',
      caption: t('reports.chart.capacity'),
      categoryHeading,
      categories,
      series: [
        { name: t('reports.measure.used'), kind: 'bar', values: days.map((day) => counts.capacity.byDay.get(day)?.used ?? 0) },
        { name: t('reports.measure.offered'), kind: 'line', values: days.map((day) => counts.capacity.byDay.get(day)?.offered ?? 0) },
      ],
    }),
    chartView({
      id: 'chart-no-shows',
      caption: t('reports.chart.noShows'),
      categoryHeading,
      categories,
      percent: true,
      series: [{ name: t('reports.measure.noShowRate'), kind: 'line', values: days.map((day) => noShowRate(counts.byDay.get(day) ?? NO_ACTIVITY) ?? 0) }],
    }),
  ];
}

/**
 * The month's report at these counters (the caller has checked the user may see each). With
 * `unassigned` (the report covers every counter in scope), the inquiries that belong to no
 * counter are counted too.
 */
export async function monthReport(reader: Reader, month: string, counters: ReportCounter[], t: Translate, options: { unassigned: boolean }): Promise<MonthReport> {
  const days = monthDays(month);
  const counterIds = counters.map((counter) => counter.id);
  const [counts, procedures, categories, totals] = await Promise.all([
    reportCounts(reader, { from: days[0], to: days[days.length - 1], counterIds }),
    reader.db.procedure.findMany({ select: { code: true, name: true }, orderBy: { id: 'asc' } }),
    inquiryCategories(reader),
    categoryTotals(reader, { from: jstInstant(days[0]), until: jstInstant(addDays(days[days.length - 1], 1)), counterIds, unassigned: options.unassigned }),
  ]);
  const names = new Map(procedures.map((procedure) => [procedure.code, procedure.name]));
  return { month, counters, tables: tables(counts, { categories, totals }, counters, names, days, t), charts: charts(counts, days, t) };
}
