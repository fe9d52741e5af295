// The FAQ (issue 15.5): city staff write the questions and answers in Japanese; the published
// ones are on the citizens' start page and their search, and the call center reads every entry.
import type { Queryable } from '../../db/client.js';
import type { SqlTx } from '../../db/transaction.js';
import { actorKey } from '../../lib/actor.js';
import { AppError } from '../../lib/app-error.js';
import { containsPattern } from '../../lib/validation.js';
import { recordAudit } from '../staff/audit.js';

export interface FaqEntry {
  id: number;
  category: string;
  question: string;
  answer: string;
  published: boolean;
  sortOrder: number;
  updatedAt: Date;
  /** updated_at as a number (epoch microseconds), which the edit form carries back: the lost-update guard. */
  version: string;
}

export type FaqInput = Omit<FaqEntry, 'id' | 'updatedAt' | 'version'>;

export interface FaqGroup {
  category: string;
  entries: FaqEntry[];
}

const VERSION = `(extract(epoch FROM updated_at) * 1000000)::bigint::text`;
const COLUMNS = `id, category, question, answer, published, sort_order AS "sortOrder", updated_at AS "updatedAt", ${VERSION} AS version`;
const ORDER = `ORDER BY category, sort_order, id`;

/**
 * Entries whose question or answer contains `text` (every entry when none); only the published
 * ones for citizens. Entries come grouped by category, in the categories' and entries' order.
 */
export async function findFaq(reader: Queryable, options: { text?: string; publishedOnly: boolean }): Promise<FaqGroup[]> {
  const conditions = [options.publishedOnly ? 'published' : 'true'];
  const values: unknown[] = [];
  if (options.text) {
    values.push(containsPattern(options.text));
    conditions.push(`(question LIKE $1 OR answer LIKE $1)`);
  }
  const entries = await reader.query<FaqEntry>(`SELECT ${COLUMNS} FROM faq_entries WHERE ${conditions.join(' AND ')} ${ORDER} LIMIT 500`, values);
  return groupByCategory(entries);
}

function groupByCategory(entries: FaqEntry[]): FaqGroup[] {
  const groups = new Map<string, FaqEntry[]>();
  for (const entry of entries) groups.set(entry.category, [...(groups.get(entry.category) ?? []), entry]);
  return [...groups].map(([category, grouped]) => ({ category, entries: grouped }));
}

export async function faqEntry(reader: Queryable, id: number): Promise<FaqEntry> {
  const [entry] = await reader.query<FaqEntry>(`SELECT ${COLUMNS} FROM faq_entries WHERE id = $1::int`, [id]);
  if (!entry) throw new AppError(404, 'not_found', 'error.404.body');
  return entry;
}

/**
 * Writes a new entry, or changes one (`id`) if it is still at the `version` the editor opened, so
 * two staff saving the same entry at once cannot silently overwrite each other: the conditional
 * UPDATE waits for the other's row lock and then finds the version moved (409). Audited.
 */
export async function saveFaq(tx: SqlTx, entry: FaqInput, edit?: { id: number; version: string }): Promise<number> {
  const values = [entry.category, entry.question, entry.answer, entry.published, entry.sortOrder, actorKey(tx.actor)];
  const [row] =
    edit === undefined
      ? await tx.query<{ id: number }>(
          `INSERT INTO faq_entries (category, question, answer, published, sort_order, updated_by) VALUES ($1, $2, $3, $4, $5::int, $6) RETURNING id`,
          values,
        )
      : await tx.query<{ id: number }>(
          `UPDATE faq_entries SET category = $1, question = $2, answer = $3, published = $4, sort_order = $5::int, updated_by = $6, updated_at = now()
            WHERE id = $7::int AND ${VERSION} = $8 RETURNING id`,
          [...values, edit.id, edit.version],
        );
  if (!row) {
    if (edit) await faqEntry(tx, edit.id); // a 404 if the entry is gone
    throw new AppError(409, 'faq_changed', 'faq.form.changed');
  }
  await recordAudit(tx, { action: 'faq.save', targetType: 'faq_entry', targetId: row.id, detail: { published: entry.published } });
  return row.id;
}
