// The numbers each queue of a counter prints: booked visitors (予約) and walk-ins (予約なし),
// each a prefix and a range, e.g.. A counter keeps the defaults until an admin
// sets its own; after the last number a queue starts again at the first.
import type { Queryable } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import type { TicketKind } from '../../generated/prisma/client.js';

export interface TicketRange {
  prefix: string;
  firstNumber: number;
  lastNumber: number;
}

export const TICKET_KINDS: readonly TicketKind[] = ['booked', 'walk_in'];

export const DEFAULT_RANGES: Record<TicketKind, TicketRange> = {
  booked: { prefix: 'A', firstNumber: 1, lastNumber: 999 },
  walk_in: { prefix: 'B', firstNumber: 1, lastNumber: 999 },
};

/** The ticket a queue's `seq`-th ticket of the day carries, e.g. A-001 (digits as many as the last number has, at least three). */
export function ticketNumber(range: TicketRange, seq: number): string {
  const size = range.lastNumber - range.firstNumber + 1;
  const value = range.firstNumber + ((seq - 1) % size);
  const digits = Math.max(3, String(range.lastNumber).length);
  const text = String(value).padStart(digits, '0');
  return range.prefix ? `${range.prefix}-${text}` : text;
}

const RANGES = `SELECT kind::text AS kind, prefix, first_number AS "firstNumber", last_number AS "lastNumber" FROM ticket_ranges WHERE counter_id = $1::int`;

/** The counter's two ranges (the defaults where it has none). */
export async function rangesOf(db: Queryable, counterId: number): Promise<Record<TicketKind, TicketRange>> {
  const rows = await db.query<TicketRange & { kind: TicketKind }>(RANGES, [counterId]);
  const ranges = { ...DEFAULT_RANGES };
  for (const { kind, ...range } of rows) ranges[kind] = range;
  return ranges;
}

const SAVE_RANGE = `
  INSERT INTO ticket_ranges (counter_id, kind, prefix, first_number, last_number, updated_at) VALUES ($1, $2::ticket_kind, $3, $4, $5, now())
  ON CONFLICT (counter_id, kind) DO UPDATE SET prefix = EXCLUDED.prefix, first_number = EXCLUDED.first_number, last_number = EXCLUDED.last_number, updated_at = now()`;

export async function saveRange(tx: SqlTx, counterId: number, kind: TicketKind, range: TicketRange): Promise<void> {
  await tx.query(SAVE_RANGE, [counterId, kind, range.prefix, range.firstNumber, range.lastNumber]);
}
