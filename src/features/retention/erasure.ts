// Contract-end erasure (issue 19.3, docs/decisions/0022): every personal datum deleted, the audit
// log's too, in one transaction on a connection of the operator's own database role acting as
// personal_data_eraser, the only role the audit log's trigger lets delete its rows. Nothing in the
// app imports this module: only the operator's command (cli/erase.ts) runs it.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../db/client.js';
import { transaction, type SqlTx } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';

/**
 * The tables that hold personal data (of citizens or of staff), in an order that respects their
 * foreign keys: each is emptied before the tables it references.
 */
export const ERASED_TABLES = [
  'inquiries', // what callers said, the person it concerns
  'mail_attempts', // errors quote addresses
  'outbox_messages',
  'slot_holds',
  'bookings', // tickets keep their row: booking_id is set to null
  'applicants',
  'email_verifications',
  'stock_count_findings', // notice IDs scanned that matched no card
  'stock_count_scans',
  'stock_counts', // who counted
  'card_transfers', // which card went where, who asked
  'shipments', // who sent and received
  'card_status_changes',
  'card_holders',
  'import_rows',
  'import_batches', // file names, who uploaded
  'citizen_login_throttles', // keys name client addresses and notice IDs
  'session', // staff sessions
  'incident_alerts', // who linked an alert to an incident
  'incidents', // free text about what happened may name people; who recorded and resolved
  'alerts', // who acknowledged, from which address; details may quote addresses
  'job_runs', // errors may quote addresses
  'staff_counters',
  'staff_users',
  'audit_logs',
] as const;

/** The tables left as they are, and why they hold no personal data. */
export const KEPT_TABLES: Record<string, string> = {
  _prisma_migrations: 'migration history',
  counters: 'public places',
  counter_procedures: 'what each place offers',
  procedures: 'kinds of procedure',
  booking_policies: 'booking rules',
  opening_rules: 'timetables',
  closures: 'closed days',
  date_overrides: 'special days',
  slots: 'times and counts of places, no one named',
  slot_conflicts: 'timetable conflicts, counts only',
  import_profiles: 'file layouts',
  status_notices: 'public notices',
  ticket_ranges: 'ticket numbering',
  ticket_sequences: 'tickets counted per day',
  tickets: 'queue numbers and times, no one named (their booking is gone)',
  booking_events: 'what happened to bookings per day, counter and procedure, no one named (the monthly counts)',
  retention_periods: 'the periods in force',
  inquiry_categories: 'names of inquiry kinds',
  faq_entries: 'public questions and answers',
};

export const ERASER_ROLE = 'personal_data_eraser';

export interface ErasedTable {
  table: string;
  rows: number;
}

export interface ErasureCertificate {
  certificateId: string;
  database: string;
  /** The operator's own database role (the session's user), acting as personal_data_eraser. */
  databaseRole: string;
  /** The person who ran it, as they gave their name. */
  operator: string;
  startedAt: string;
  finishedAt: string;
  tables: ErasedTable[];
  totalRows: number;
  /** Rows left in the erased tables, counted in the same transaction after the deletes: 0. */
  remainingRows: number;
  keptTables: string[];
}

/** Takes on the erasure role for this transaction; a role that is not its member is refused. */
async function actAsEraser(tx: SqlTx): Promise<void> {
  // CASE: pg_has_role fails on a role that does not exist, and AND does not promise its order.
  const [{ member }] = await tx.query<{ member: boolean }>(
    `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) THEN false
                 ELSE pg_has_role(session_user, $1, 'MEMBER') AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) END AS member`,
    [ERASER_ROLE],
  );
  if (!member) throw new AppError(403, 'erasure_not_eraser', 'erasure.refused.notEraser', { role: ERASER_ROLE });
  await tx.query(`SET LOCAL ROLE ${ERASER_ROLE}`);
}

/** Every erased table's rows, counted in one query. */
async function rowCounts(tx: SqlTx): Promise<ErasedTable[]> {
  const counts = await tx.query<{ i: number; n: number }>(
    ERASED_TABLES.map((table, i) => `SELECT ${i} AS i, count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`).join(' UNION ALL ') + ' ORDER BY i',
  );
  return counts.map(({ i, n }) => ({ table: ERASED_TABLES[i], rows: n }));
}

/** What an erasure would delete, counted as the erasure role (nothing is changed). */
export function erasurePreview(database: Database): Promise<{ database: string; tables: ErasedTable[] }> {
  return transaction(
    database,
    { type: 'system', id: 'erasure' },
    async (tx) => {
      await actAsEraser(tx);
      const [{ name }] = await tx.query<{ name: string }>(`SELECT current_database() AS name`);
      return { database: name, tables: await rowCounts(tx) };
    },
    { models: false },
  );
}

const ERASURE_TIMEOUT_MS = 60 * 60_000;

/** Deletes every row of the erased tables in one transaction, counts what is left (nothing), and says so. */
export function eraseAllPersonalData(database: Database, operator: string): Promise<ErasureCertificate> {
  return transaction(
    database,
    { type: 'system', id: 'erasure' },
    async (tx) => {
      const startedAt = new Date();
      await actAsEraser(tx);
      // Writers wait until the erasure commits (the app should be stopped; this makes sure).
      await tx.query(`LOCK TABLE ${ERASED_TABLES.map((table) => pg.escapeIdentifier(table)).join(', ')} IN EXCLUSIVE MODE`);
      const tables: ErasedTable[] = [];
      for (const table of ERASED_TABLES) {
        const [{ n }] = await tx.query<{ n: number }>(`WITH gone AS (DELETE FROM ${pg.escapeIdentifier(table)} RETURNING 1) SELECT count(*)::int AS n FROM gone`);
        tables.push({ table, rows: n });
      }
      const remainingRows = (await rowCounts(tx)).reduce((sum, table) => sum + table.rows, 0);
      if (remainingRows !== 0) throw new AppError(500, 'erasure_left_over', 'erasure.refused.leftOver', { rows: remainingRows });
      const [who] = await tx.query<{ database: string; role: string }>(`SELECT current_database() AS database, session_user AS role`);
      return {
        certificateId: randomUUID(),
        database: who.database,
        databaseRole: who.role,
        operator,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        tables,
        totalRows: tables.reduce((sum, table) => sum + table.rows, 0),
        remainingRows,
        keptTables: Object.keys(KEPT_TABLES),
      };
    },
    { models: false, timeoutMs: ERASURE_TIMEOUT_MS },
  );
}
