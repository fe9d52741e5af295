// Sends due outbox rows. A claim is one short statement (FOR UPDATE SKIP LOCKED) that marks rows
// `sending` with a lease in next_attempt_at: several processes never claim the same row, and a
// row whose sender crashed is claimed again when its lease runs out. A row is marked sent right
// after the SMTP server accepts it, so a duplicate needs a crash in that instant.
import type { Database } from '../../db/client.js';
import { transaction } from '../../db/transaction.js';
import type { Actor } from '../../lib/actor.js';
import type { Mailer, SendResult } from './mailer.js';

export interface OutboxWorkerOptions {
  batchSize?: number;
  leaseSeconds?: number;
  /** Backoff after the n-th temporary failure: base * 2^(n-1), capped. */
  backoffBaseSeconds?: number;
  backoffMaxSeconds?: number;
  /** Temporary failures are retried for this long after the mail was queued, then it is failed. */
  giveUpAfterHours?: number;
}

interface ClaimedRow {
  id: string; // int8 arrives from pg as a string
  dedupe_key: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  attachments: { filename: string; contentType: string; content: string }[];
  attempts: number;
  created_at: Date;
}

export interface DrainCounts {
  sent: number;
  retried: number;
  failed: number;
}

const OUTBOX_WORKER: Actor = { type: 'system', id: 'outbox' };

export function backoffSeconds(attempts: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

export class OutboxWorker {
  private readonly options: Required<OutboxWorkerOptions>;

  constructor(
    private readonly db: Database,
    private readonly mailer: Mailer,
    options: OutboxWorkerOptions = {},
  ) {
    this.options = { batchSize: 20, leaseSeconds: 300, backoffBaseSeconds: 30, backoffMaxSeconds: 900, giveUpAfterHours: 72, ...options };
  }

  /**
   * Claims up to batchSize rows that are due, leaving out `skip` (rows this drain has already
   * tried, so a retry is never re-claimed by the same drain). Due means at or before now: the
   * stored time is rounded to the millisecond, so a row written in this very millisecond may read
   * up to half a millisecond ahead and counts as due too.
   */
  async claim(skip: string[] = []): Promise<ClaimedRow[]> {
    const rows = await this.db.query<ClaimedRow>(
      `UPDATE outbox_messages o SET status = 'sending', attempts = o.attempts + 1,
              next_attempt_at = now() + make_interval(secs => $2)
        WHERE o.id IN (SELECT id FROM outbox_messages
                        WHERE status IN ('pending', 'sending') AND next_attempt_at <= now() + interval '1 millisecond'
                          AND NOT (id = ANY($3::bigint[]))
                        ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.dedupe_key, o.to_address, o.subject, o.text_body, o.html_body, o.attachments, o.attempts, o.created_at`,
      [this.options.batchSize, this.options.leaseSeconds, skip],
    );
    // UPDATE ... RETURNING has no order: send in queue order (a confirmation before its cancellation).
    return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /** Sends everything due now, batch after batch, each row at most once; returns what happened. */
  async drain(): Promise<DrainCounts> {
    const counts: DrainCounts = { sent: 0, retried: 0, failed: 0 };
    const tried: string[] = [];
    for (;;) {
      const rows = await this.claim(tried);
      if (rows.length === 0) return counts;
      for (const row of rows) {
        tried.push(String(row.id));
        const outcome = await this.deliver(row);
        counts[outcome] += 1;
      }
    }
  }

  private async deliver(row: ClaimedRow): Promise<keyof DrainCounts> {
    const result = await this.mailer.send({
      to: row.to_address,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
      attachments: row.attachments,
      messageId: `<outbox-${row.id}@mynumber-card-booking>`,
    });
    const outcome = this.outcomeOf(row, result);
    await this.record(row, result, outcome);
    return outcome;
  }

  private outcomeOf(row: ClaimedRow, result: SendResult): keyof DrainCounts {
    if (result.ok) return 'sent';
    const expired = Date.now() - row.created_at.getTime() > this.options.giveUpAfterHours * 3_600_000;
    return result.permanent || expired ? 'failed' : 'retried';
  }

  private async record(row: ClaimedRow, result: SendResult, outcome: keyof DrainCounts): Promise<void> {
    const error = result.ok ? null : result.error;
    const delay = backoffSeconds(row.attempts, this.options.backoffBaseSeconds, this.options.backoffMaxSeconds);
    await transaction(this.db, OUTBOX_WORKER, async (tx) => {
      await tx.query(
        `UPDATE outbox_messages SET
           status = $2::outbox_status,
           sent_at = CASE WHEN $2 = 'sent' THEN now() END,
           last_error = $3,
           next_attempt_at = CASE WHEN $2 = 'pending' THEN now() + make_interval(secs => $4) ELSE next_attempt_at END
         WHERE id = $1 AND status = 'sending'`,
        [row.id, outcome === 'retried' ? 'pending' : outcome, error, delay],
      );
      await tx.query('INSERT INTO mail_attempts (outbox_message_id, outcome, smtp_code, error) VALUES ($1, $2, $3, $4)', [
        row.id,
        result.ok ? 'sent' : result.permanent ? 'permanent' : 'transient',
        result.ok ? null : result.code,
        error,
      ]);
    });
  }
}
