// The daily warning: an alert per counter whose forecast shows a week with more demand than
// places, closed again once the forecast no longer shows one (one open alert per counter).
import type { Tx } from '../../../db/transaction.js';
import { translator } from '../../../lib/i18n.js';
import { formatDateJa } from '../../../lib/jst.js';
import { clearAlerts, raiseAlert } from '../../notify/alerts.js';
import { counterForecast } from './forecast.js';

const t = translator();
const subjectOf = (counterId: number) => `counter:${counterId}`;

export async function raiseShortfallAlerts(tx: Tx, now: Date): Promise<{ short: number; cleared: number }> {
  const forecast = await counterForecast(tx, now, null, { unassigned: false });
  const short = forecast.rows.filter((row) => row.kind === 'counter' && row.firstShortfall !== null);
  for (const row of short) {
    const week = row.weeks[row.firstShortfall!]!;
    await raiseAlert(tx, {
      kind: 'forecast_shortfall',
      subjectKey: subjectOf(row.counterId!),
      openedAt: now,
      summary: t('alert.summary.forecast_shortfall', { counter: row.name, week: formatDateJa(forecast.weekStarts[row.firstShortfall!]!) }),
      detail: t('alert.detail.forecast_shortfall', { demand: week.demand, places: week.places }),
    });
  }
  const cleared = await clearAlerts(
    tx,
    'forecast_shortfall',
    short.map((row) => subjectOf(row.counterId!)),
  );
  return { short: short.length, cleared };
}
