// The daily forecast job: an alert per counter whose forecast shows a short week, raised once
// however often or concurrently the job runs, and closed once places are added.
import { beforeAll, describe, expect, it } from 'vitest';
import { alertNotice, composeAlertMail } from '../../src/features/notify/alerts.js';
import { raiseShortfallAlerts } from '../../src/features/reports/forecast/shortfall-alerts.js';
import { forecastShortfallJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/runner.js';
import { addDays } from '../../src/lib/jst.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pinClock } from '../helpers/clock.js';
import { createSlot } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';
import { forecastScene, MONDAY, type ForecastScene } from './forecast-scene.js';

let t: TestApp;
let scene: ForecastScene;
const { now } = pinClock('2027-01-18T10:00:00+09:00');
const jobContext = () => ({ config: t.context.config, now, baseUrl: 'https://yoyaku.example.lg.jp', secret: t.context.secrets.sessionSecret });
const shortfallAlerts = () => t.db.prisma.alert.findMany({ where: { kind: 'forecast_shortfall' }, orderBy: { subjectKey: 'asc' } });

beforeAll(async () => {
  t = await createTestApp();
  scene = await forecastScene(t.db);
});

describe('forecast shortfall job', () => {
  it('When the alerts are raised in two transactions at once (past the runner’s lock), then neither fails and each short counter has one open alert, opened at the job’s now', async () => {
    const results = await Promise.allSettled([0, 1].map(() => inTx(t.db, (tx) => raiseShortfallAlerts(tx, now))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    const alerts = await shortfallAlerts();
    expect(alerts.map((alert) => [alert.subjectKey, alert.acknowledgedAt, alert.openedAt.toISOString()])).toEqual(
      [
        [`counter:${scene.a.id}`, null, now.toISOString()],
        [`counter:${scene.b.id}`, null, now.toISOString()],
      ].sort(),
    );
  });

  it('When the job runs twice at once, then each short counter has exactly one open alert naming it and its first short week', async () => {
    const results = await Promise.all([runJob(t.db, forecastShortfallJob, jobContext()), runJob(t.db, forecastShortfallJob, jobContext())]);
    expect(results.map((result) => result.status)).toContain('ok');
    expect(results.some((result) => result.status === 'failed')).toBe(false);
    await runJob(t.db, forecastShortfallJob, jobContext());
    const alerts = await shortfallAlerts();
    expect(alerts.map((alert) => [alert.subjectKey, alert.acknowledgedAt])).toEqual(
      [
        [`counter:${scene.a.id}`, null],
        [`counter:${scene.b.id}`, null],
      ].sort(),
    );
    const b = alerts.find((alert) => alert.subjectKey === `counter:${scene.b.id}`)!;
    expect(b.summary).toBe(`${scene.b.name}で2027年1月18日(月)からの週に予約枠が足りなくなる見込みです。予約枠を増やす日を検討してください。`);
    expect(b.detail).toContain('需要1人に対して空き枠0人');
    const mail = composeAlertMail(
      alertNotice(
        { id: b.id, kind: b.kind, subject_key: b.subjectKey, summary: b.summary, detail: b.detail, opened_at: b.openedAt, notifications: 1 },
        { emails: [], repeatMinutes: 30, baseUrl: 'https://yoyaku.example.lg.jp', secret: 'secret' },
      ),
    );
    expect(mail.text).toContain('予約枠が足りなくなる見込み');
    expect(mail.text).not.toContain('forecast_shortfall');
  });

  it('When places are added so no week is short, then the next run closes both alerts and opens none', async () => {
    for (let week = 0; week < 8; week++) {
      await createSlot(t.db, { counterId: scene.b.id, date: addDays(MONDAY, 7 * week + 2), capacity: 10 });
      await createSlot(t.db, { counterId: scene.a.id, date: addDays(MONDAY, 7 * week + 3), capacity: 10 });
    }
    expect((await runJob(t.db, forecastShortfallJob, jobContext())).status).toBe('ok');
    await runJob(t.db, forecastShortfallJob, jobContext());
    const alerts = await shortfallAlerts();
    expect(alerts).toHaveLength(2);
    expect(alerts.every((alert) => alert.acknowledgedAt !== null && alert.acknowledgedBy === 'system:forecast-shortfall' && alert.acknowledgedVia === 'system')).toBe(true);
  });
});
