// Watches this process's view of the system once a minute: the database (from this process),
// the outbox backlog and the embedded database's disk. While the database is unreachable the
// alert cannot go through the outbox, so it is sent straight over SMTP and the webhook from
// memory, and written to the alerts table once the database answers again.
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Database } from '../../db/client.js';
import { transaction } from '../../db/transaction.js';
import type { Actor } from '../../lib/actor.js';
import { translator } from '../../lib/i18n.js';
import { withinMs } from '../../lib/timeout.js';
import { composeAlertMail, postAlertWebhook, raiseAlert, type AlertNotice } from './alerts.js';
import { recordDetectedOutage } from '../status/notices.js';
import type { Mailer } from './mailer.js';

export interface MonitorOptions {
  db: Database;
  config: Config;
  baseUrl: string;
  mailer: Mailer | null;
  logger: Logger;
  /** The embedded PostgreSQL's data directory, whose disk is watched; null for an external server. */
  dataDir: string | null;
  /** Consecutive failed probes before the database counts as unreachable (one blip is not an outage). */
  failuresBeforeAlert?: number;
  probeTimeoutMs?: number;
}

interface Outage {
  since: Date;
  error: string;
  notifications: number;
  lastNotifiedAt: Date | null;
}

const t = translator();
/** Alerts the monitor writes are the system's own. */
const MONITOR: Actor = { type: 'system', id: 'monitor' };

export class HealthMonitor {
  private failures = 0;
  private outage: Outage | null = null;
  private readonly process = `${os.hostname()}:${process.pid}`;

  constructor(private readonly options: MonitorOptions) {}

  get databaseDown(): boolean {
    return this.outage !== null;
  }

  async check(now = new Date()): Promise<void> {
    const error = await this.probeDatabase();
    if (error) return this.onDatabaseFailure(error, now);
    this.failures = 0;
    if (this.outage) await this.recordOutage(this.outage, now);
    await this.checkBacklog();
    await this.checkDisk();
  }

  private async probeDatabase(): Promise<string | null> {
    try {
      await withinMs(this.options.db.pool.query('SELECT 1'), this.options.probeTimeoutMs ?? 5000, 'database probe');
      return null;
    } catch (failure) {
      return String((failure as Error)?.message ?? failure);
    }
  }

  private async onDatabaseFailure(error: string, now: Date): Promise<void> {
    this.failures += 1;
    if (this.failures < (this.options.failuresBeforeAlert ?? 2)) return;
    this.outage ??= { since: now, error, notifications: 0, lastNotifiedAt: null };
    const { lastNotifiedAt } = this.outage;
    if (lastNotifiedAt && now.getTime() - lastNotifiedAt.getTime() < this.options.config.ALERT_REPEAT_MINUTES * 60_000) return;
    this.outage.notifications += 1;
    this.outage.lastNotifiedAt = now;
    await this.notifyDirectly(this.outage);
  }

  private async notifyDirectly(outage: Outage): Promise<void> {
    const { config, mailer, logger } = this.options;
    const notice: AlertNotice = {
      id: 'unrecorded',
      kind: 'db_unreachable',
      subjectKey: this.process,
      summary: t('alert.summary.db_unreachable', { process: this.process }),
      detail: outage.error,
      openedAt: outage.since.toISOString(),
      notification: outage.notifications,
      acknowledgeUrl: `${this.options.baseUrl}/staff/alerts`,
    };
    logger.error({ alert: notice }, 'database unreachable');
    const mail = composeAlertMail(notice);
    for (const address of config.ALERT_EMAILS) await mailer?.send({ to: address, ...mail });
    if (config.ALERT_WEBHOOK_URL) await postAlertWebhook(config.ALERT_WEBHOOK_URL, notice);
  }

  private async recordOutage(outage: Outage, now: Date): Promise<void> {
    await transaction(this.options.db, MONITOR, async (tx) => {
      await recordDetectedOutage(tx, outage.since, now);
      const id = await raiseAlert(tx, {
        kind: 'db_unreachable',
        subjectKey: this.process,
        summary: t('alert.summary.db_unreachable', { process: this.process }),
        detail: t('alert.detail.db_unreachable', { error: outage.error, since: outage.since.toISOString(), until: new Date().toISOString(), count: outage.notifications }),
        openedAt: outage.since,
      });
      await tx.db.alert.update({ where: { id }, data: { notifications: outage.notifications, lastNotifiedAt: outage.lastNotifiedAt } });
    });
    this.outage = null;
  }

  private async checkBacklog(): Promise<void> {
    if (!this.options.mailer) return; // without SMTP, mail is kept on purpose
    const minutes = this.options.config.OUTBOX_BACKLOG_ALERT_MINUTES;
    const [row] = await this.options.db.prisma.$queryRaw<{ count: bigint; oldest: Date | null }[]>`
      SELECT count(*) AS count, min(created_at) AS oldest FROM outbox_messages
       WHERE status IN ('pending', 'sending') AND created_at < now() - make_interval(mins => ${minutes})`;
    if (row.count === 0n) return;
    await transaction(this.options.db, MONITOR, (tx) =>
      raiseAlert(tx, {
        kind: 'outbox_backlog',
        subjectKey: 'outbox',
        summary: t('alert.summary.outbox_backlog', { count: Number(row.count), minutes }),
        detail: t('alert.detail.outbox_backlog', { oldest: row.oldest?.toISOString() ?? '' }),
      }),
    );
  }

  private async checkDisk(): Promise<void> {
    const { dataDir, config } = this.options;
    if (!dataDir) return;
    const usedPercent = await diskUsedPercent(dataDir);
    if (usedPercent < config.DISK_ALERT_PERCENT) return;
    await transaction(this.options.db, MONITOR, (tx) =>
      raiseAlert(tx, {
        kind: 'disk_full',
        subjectKey: dataDir,
        summary: t('alert.summary.disk_full', { percent: Math.round(usedPercent) }),
        detail: dataDir,
      }),
    );
  }
}

export async function diskUsedPercent(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.blocks === 0 ? 0 : 100 * (1 - stats.bavail / stats.blocks);
}
