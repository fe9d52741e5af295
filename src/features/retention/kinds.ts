// Every kind of record kept for a period and then deleted. Adding a kind (inquiries, say) is one
// entry here with its texts in locales/ja.retention.json: the admin page, the purge job and its
// audit row pick it up. Periods are set by each city's contract; the defaults are explained in
// docs/decisions/0022-retention-and-contract-end-erasure.md.
import type { SqlTx } from '../../db/transaction.js';
import {
  purgeAcknowledgedAlerts,
  purgeFinishedBookings,
  purgeHandedOverCardHolders,
  purgeOldAudit,
  purgeOldLoginAttempts,
  purgeOldMail,
  purgeSettledInquiries,
  type BatchResult,
} from './records.js';

export interface RetentionKind {
  /** The key of retention_periods and of the texts retention.kind.<key>. */
  key: string;
  defaultDays: number;
  /** The shortest period the admin page accepts. */
  minDays: number;
  /** Deletes up to `limit` records past the cutoff, with what hangs on them. */
  purgeBatch(tx: SqlTx, cutoff: Date, limit: number): Promise<BatchResult>;
}

/** The longest period any kind may be given (a hundred years; the database holds the same bound). */
export const MAX_RETENTION_DAYS = 36_500;

export const RETENTION_KINDS: readonly RetentionKind[] = [
  { key: 'bookings', defaultDays: 365, minDays: 30, purgeBatch: purgeFinishedBookings },
  { key: 'card_holders', defaultDays: 365, minDays: 30, purgeBatch: purgeHandedOverCardHolders },
  { key: 'mail', defaultDays: 90, minDays: 30, purgeBatch: purgeOldMail },
  { key: 'login_attempts', defaultDays: 30, minDays: 7, purgeBatch: purgeOldLoginAttempts },
  { key: 'alerts', defaultDays: 365, minDays: 30, purgeBatch: purgeAcknowledgedAlerts },
  { key: 'inquiries', defaultDays: 1095, minDays: 365, purgeBatch: purgeSettledInquiries },
  // The database refuses an audit period under a year (retention_periods_audit_a_year), and its
  // migration writes this default as the audit row: the append-only trigger reads the period there.
  { key: 'audit', defaultDays: 1825, minDays: 365, purgeBatch: purgeOldAudit },
];
