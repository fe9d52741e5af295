// Stock count (棚卸) of a site: staff start a count, scan every card on the shelves (from one or
// several terminals; a second scan of a card only counts up), and finish it. Finishing records
// the missing cards (they should be here, by status and site, and are not on their way
// elsewhere, but were not scanned) and the unexpected ones (scanned, but unknown, recorded at
// another site, in transit, handed over, cancelled, or not yet arrived), frozen as findings.
import type { SqlTx } from '../../../db/transaction.js';
import { actorKey } from '../../../lib/actor.js';
import { AppError } from '../../../lib/app-error.js';
import type { StaffPrincipal } from '../../../policies/index.js';
import { recordAudit } from '../../staff/audit.js';
import { authorizeSite } from './transfers.js';

/** Card statuses at which a card is on a shelf of its site. */
const ON_SHELF = `('card_arrived', 'notice_sent', 'booked', 'returned_undelivered', 'on_hold')`;
const IN_TRANSIT = (card: string) => `EXISTS (SELECT 1 FROM card_transfers t WHERE t.card_holder_id = ${card}.id AND t.status = 'shipped')`;

/** Why a scanned card (card_holders `h`, NULL when unknown) is not expected at site $2; NULL when it is. */
const UNEXPECTED_WHY = `
  CASE WHEN h.id IS NULL THEN 'unknown' WHEN ${IN_TRANSIT('h')} THEN 'in_transit' WHEN h.status = 'handed_over' THEN 'handed_over'
       WHEN h.status = 'cancelled' THEN 'cancelled' WHEN h.status = 'data_received' THEN 'not_arrived' WHEN h.counter_id IS DISTINCT FROM $2::int THEN 'other_site' END`;

/** Cards that should be on the site's shelves ($2): at the site, on a shelf, not in transit. */
const SHOULD_BE_HERE = `h.counter_id = $2::int AND h.status IN ${ON_SHELF} AND NOT ${IN_TRANSIT('h')}`;

export type UnexpectedWhy = 'unknown' | 'in_transit' | 'handed_over' | 'cancelled' | 'not_arrived' | 'other_site';

export interface StockCount {
  id: number;
  counterId: number;
  siteName: string;
  status: 'counting' | 'finished';
  startedBy: string;
  startedAt: Date;
  finishedBy: string | null;
  finishedAt: Date | null;
  expected: number | null;
  scanned: number | null;
}

/** Counts with their site's name, to be followed by a WHERE. */
const COUNTS = `
  SELECT s.id, s.counter_id AS "counterId", c.name AS "siteName", s.status::text AS status, s.started_by AS "startedBy", s.started_at AS "startedAt",
         s.finished_by AS "finishedBy", s.finished_at AS "finishedAt", s.expected, s.scanned
  FROM stock_counts s JOIN counters c ON c.id = s.counter_id`;
const COUNT = `${COUNTS} WHERE s.id = $1::int`;

/** Starts a count at the site, or returns the one already counting there. */
export async function startCount(tx: SqlTx, input: { siteId: number; by: StaffPrincipal }): Promise<number> {
  authorizeSite(input.by, input.siteId);
  const started = await tx.query<{ id: number }>(
    `INSERT INTO stock_counts (counter_id, started_by) VALUES ($1::int, $2) ON CONFLICT (counter_id) WHERE status = 'counting' DO NOTHING RETURNING id`,
    [input.siteId, actorKey(tx.actor)],
  );
  if (started.length === 0) {
    const [open] = await tx.query<{ id: number }>(`SELECT id FROM stock_counts WHERE counter_id = $1::int AND status = 'counting'`, [input.siteId]);
    return open.id;
  }
  await recordAudit(tx, { action: 'logistics.stockCount.start', targetType: 'stock_count', targetId: started[0].id, detail: { counterId: input.siteId } });
  return started[0].id;
}

/** The count, for a clerk of its site; `lock`: held until the transaction ends (scans and the finish take turns). */
async function countOf(tx: SqlTx, countId: number, by: StaffPrincipal, lock = false): Promise<StockCount> {
  const [count] = await tx.query<StockCount>(lock ? `${COUNT} FOR NO KEY UPDATE OF s` : COUNT, [countId]);
  if (!count) throw new AppError(404, 'count_not_found', 'logistics.count.notFound');
  authorizeSite(by, count.counterId);
  return count;
}

async function countingOf(tx: SqlTx, countId: number, by: StaffPrincipal): Promise<StockCount> {
  const count = await countOf(tx, countId, by, true);
  if (count.status !== 'counting') throw new AppError(409, 'count_finished', 'logistics.count.finished');
  return count;
}

export type CountAnswer = { kind: 'counted' | 'again'; times: number; why: UnexpectedWhy | null; storagePlace: string };

/** One card scanned in a counting count: recorded (a second scan counts up), with whether it belongs here. */
export async function countScan(tx: SqlTx, input: { countId: number; noticeId: string; by: StaffPrincipal }): Promise<CountAnswer> {
  const count = await countingOf(tx, input.countId, input.by);
  const [card] = await tx.query<{ id: number | null; why: UnexpectedWhy | null; storagePlace: string }>(
    `SELECT h.id, ${UNEXPECTED_WHY} AS why, coalesce(h.storage_place, '') AS "storagePlace" FROM (SELECT 1) one LEFT JOIN card_holders h ON h.notice_id = $1`,
    [input.noticeId, count.counterId],
  );
  const unknownId = card.id === null ? input.noticeId : '';
  // Scans of a count take turns on the count's row (locked above), so a plain look-up is safe.
  const [again] = await tx.query<{ times: number }>(
    `UPDATE stock_count_scans SET times = times + 1, last_scanned_at = now()
     WHERE stock_count_id = $1::int AND card_holder_id IS NOT DISTINCT FROM $2::int AND unknown_id = $3 RETURNING times`,
    [count.id, card.id, unknownId],
  );
  if (!again)
    await tx.query(`INSERT INTO stock_count_scans (stock_count_id, card_holder_id, unknown_id, scanned_by) VALUES ($1::int, $2::int, $3, $4)`, [
      count.id,
      card.id,
      unknownId,
      actorKey(tx.actor),
    ]);
  return { kind: again ? 'again' : 'counted', times: again?.times ?? 1, why: card.why, storagePlace: card.storagePlace };
}

const MISSING = `
  INSERT INTO stock_count_findings (stock_count_id, kind, card_holder_id, storage_place, site_id)
  SELECT $1::int, 'missing', h.id, h.storage_place, h.counter_id FROM card_holders h
  WHERE ${SHOULD_BE_HERE} AND NOT EXISTS (SELECT 1 FROM stock_count_scans sc WHERE sc.stock_count_id = $1::int AND sc.card_holder_id = h.id)`;

const UNEXPECTED = `
  INSERT INTO stock_count_findings (stock_count_id, kind, detail, card_holder_id, unknown_id, storage_place, site_id)
  SELECT $1::int, 'unexpected', w.why, sc.card_holder_id, sc.unknown_id, coalesce(h.storage_place, ''), h.counter_id
  FROM stock_count_scans sc LEFT JOIN card_holders h ON h.id = sc.card_holder_id CROSS JOIN LATERAL (SELECT ${UNEXPECTED_WHY} AS why) w
  WHERE sc.stock_count_id = $1::int AND w.why IS NOT NULL`;

/** Finishes the count: the missing and the unexpected cards are recorded as they stand now. */
export async function finishCount(tx: SqlTx, input: { countId: number; by: StaffPrincipal }): Promise<{ missing: number; unexpected: number }> {
  const count = await countingOf(tx, input.countId, input.by);
  const values = [count.id, count.counterId];
  const missing = (await tx.query(`${MISSING} RETURNING id`, values)).length;
  const unexpected = (await tx.query(`${UNEXPECTED} RETURNING id`, values)).length;
  await tx.query(
    `UPDATE stock_counts SET status = 'finished', finished_at = now(), finished_by = $3,
            expected = (SELECT count(*)::int FROM card_holders h WHERE ${SHOULD_BE_HERE}), scanned = (SELECT count(*)::int FROM stock_count_scans WHERE stock_count_id = $1::int)
     WHERE id = $1::int`,
    [...values, actorKey(tx.actor)],
  );
  await recordAudit(tx, { action: 'logistics.stockCount.finish', targetType: 'stock_count', targetId: count.id, detail: { missing, unexpected } });
  return { missing, unexpected };
}

export interface Finding {
  kind: 'missing' | 'unexpected';
  detail: UnexpectedWhy | '';
  noticeId: string;
  name: string;
  nameKana: string;
  storagePlace: string;
  siteName: string;
}

/** A count with its scans so far (counting) or its findings (finished); the findings are audited (a list of people). */
export async function showCount(tx: SqlTx, countId: number, by: StaffPrincipal): Promise<{ count: StockCount; scans: number; findings: Finding[] }> {
  const count = await countOf(tx, countId, by);
  const [{ scans }] = await tx.query<{ scans: number }>(`SELECT count(*)::int AS scans FROM stock_count_scans WHERE stock_count_id = $1::int`, [countId]);
  if (count.status === 'counting') return { count, scans, findings: [] };
  const findings = await tx.query<Finding>(
    `SELECT f.kind, f.detail, coalesce(h.notice_id, f.unknown_id) AS "noticeId", coalesce(h.name, '') AS name, coalesce(h.name_kana, '') AS "nameKana",
            f.storage_place AS "storagePlace", coalesce(c.name, '') AS "siteName"
     FROM stock_count_findings f LEFT JOIN card_holders h ON h.id = f.card_holder_id LEFT JOIN counters c ON c.id = f.site_id
     WHERE f.stock_count_id = $1::int ORDER BY f.kind, f.storage_place, coalesce(h.notice_id, f.unknown_id)`,
    [countId],
  );
  await recordAudit(tx, { action: 'logistics.stockCount.view', targetType: 'stock_count', targetId: countId, detail: { findings: findings.length } });
  return { count, scans, findings };
}

/** The site's counts, newest first. */
export async function countsOfSite(tx: Pick<SqlTx, 'query'>, siteId: number): Promise<StockCount[]> {
  return tx.query<StockCount>(`${COUNTS} WHERE s.counter_id = $1::int ORDER BY s.id DESC LIMIT 20`, [siteId]);
}
