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
    return {
      kind: row.kind,
      name,
      weeklyArrivals: row.weeklyArrivals,
      backlog: row.backlog,
      firstShortWeek: row.firstShortfall === null ? null : formatDateJa(forecast.weekStarts[row.firstShortfall]!),
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
