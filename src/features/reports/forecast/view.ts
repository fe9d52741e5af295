// The forecast as the page shows it: per row a chart (bars demand and cards carried over, a line
// of free places, with its table) and the short weeks said in words.
import { chartView, type ChartView } from '../../../lib/charts.js';
import type { Translate } from '../../../lib/i18n.js';
import { formatDateJa } from '../../../lib/jst.js';
import type { Forecast, ForecastRow } from './forecast.js';
import { FORECAST_WEEKS, HISTORY_WEEKS } from './model.js';

export interface ShortWeek {
  week: string;
  demand: number;
  places: number;
  missing: number;
}

export interface ForecastRowView {
  kind: ForecastRow['kind'];
  name: string;
  weeklyArrivals: number;
  backlog: number;
  firstShortWeek: string | null;
  /** The summary's last column in words: short from which week, enough, or no counter. */
  outlook: string;
  shortWeeks: ShortWeek[];
  chart: ChartView;
}

const rowName = (row: ForecastRow, t: Translate) => (row.kind === 'counter' ? row.name : t(`forecast.row.${row.kind}`));

export function forecastView(forecast: Forecast, t: Translate) {
  const categories = forecast.weekStarts.map((monday) => {
    const [, month, day] = monday.split('-').map(Number);
    return t('forecast.weekLabel', { month: month!, day: day! });
  });
  const rows = forecast.rows.map((row, index): ForecastRowView => {
    const name = rowName(row, t);
    const firstShortWeek = row.firstShortfall === null ? null : formatDateJa(forecast.weekStarts[row.firstShortfall]!);
    return {
      kind: row.kind,
      name,
      weeklyArrivals: row.weeklyArrivals,
      backlog: row.backlog,
      firstShortWeek,
      outlook:
        row.kind === 'unassigned' ? t('forecast.summary.noPlaces') : firstShortWeek ? t('forecast.summary.shortFrom', { week: firstShortWeek }) : t('forecast.summary.enough'),
      shortWeeks: row.weeks.flatMap((week, at) =>
        week.shortfall ? [{ week: formatDateJa(forecast.weekStarts[at]!), demand: week.demand, places: week.places, missing: week.demand - week.places }] : [],
      ),
      chart: chartView({
        id: `forecast-${index}`,
        caption: t('forecast.chart.caption', { name }),
        categoryHeading: t('forecast.chart.week'),
        categories,
        series: [
          { name: t('forecast.series.demand'), kind: 'bar', values: row.weeks.map((week) => week.demand) },
          { name: t('forecast.series.carried'), kind: 'bar', values: row.weeks.map((week) => week.carriedOut) },
          { name: t('forecast.series.places'), kind: 'line', values: row.weeks.map((week) => week.places) },
        ],
      }),
    };
  });
  return { rows, historyWeeks: HISTORY_WEEKS, forecastWeeks: FORECAST_WEEKS, shortCounters: rows.filter((row) => row.kind === 'counter' && row.firstShortWeek !== null) };
}

export const FORECAST_TABLES = ['summary', 'weeks'] as const;
export type ForecastTableName = (typeof FORECAST_TABLES)[number];

/**
 * The page's tables as CSV: the summary, and every row's weekly figures (the tables beside its
 * charts) in one sheet, a line per row and week.
 */
export function forecastCsv(forecast: Forecast, t: Translate, table: ForecastTableName): { caption: string; header: string[]; rows: (string | number)[][] } {
  const view = forecastView(forecast, t);
  if (table === 'summary')
    return {
      caption: t('forecast.summary.caption'),
      header: [t('forecast.summary.counter'), t('forecast.summary.weekly', { weeks: HISTORY_WEEKS }), t('forecast.summary.backlog'), t('forecast.summary.firstShort')],
      rows: view.rows.map((row) => [row.name, row.weeklyArrivals, row.backlog, row.outlook]),
    };
  return {
    caption: t('forecast.csv.weeks'),
    header: [t('forecast.summary.counter'), t('forecast.chart.week'), t('forecast.series.demand'), t('forecast.series.carried'), t('forecast.series.places')],
    rows: forecast.rows.flatMap((row, index) =>
      row.weeks.map((week, at) => [view.rows[index]!.name, formatDateJa(forecast.weekStarts[at]!), week.demand, week.carriedOut, week.places]),
    ),
  };
}
