// Search by notice ID, booking code or email. A barcode reader types the notice ID's digits and
// Enter; a clerk may type full-width digits, spaces or hyphens, so the query is normalised first.
import type { Db } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { noticeIdOf } from '../../lib/notice-id.js';
import { toHalfWidth } from '../../web/validation.js';
import type { StaffPrincipal } from '../staff/access.js';
import { recordAudit, type AuditActor } from '../staff/audit.js';
import { holderScope } from './scope.js';

const MAX_RESULTS = 50;

/** An email address half-width and trimmed; anything else as a notice ID or booking code is stored. */
export function normaliseQuery(raw: string): string {
  const text = toHalfWidth(raw).trim();
  return text.includes('@') ? text : noticeIdOf(text);
}

const RESULT_SELECT = {
  id: true,
  noticeId: true,
  name: true,
  nameKana: true,
  status: true,
  storagePlace: true,
  bookings: { where: { status: { in: ['active', 'checked_in'] } }, take: 1, select: { code: true, status: true, slot: { select: { startsAt: true, counter: { select: { name: true } } } } } },
} satisfies Prisma.CardHolderSelect;

export type SearchResult = Prisma.CardHolderGetPayload<{ select: typeof RESULT_SELECT }>;

/** Card holders whose notice ID, booking code or booking email is the query; the search is audited. */
export async function searchHolders(db: Db, raw: string, user: StaffPrincipal, actor: AuditActor): Promise<{ query: string; results: SearchResult[] }> {
  const query = normaliseQuery(raw);
  if (query === '') return { query, results: [] };
  const matches: Prisma.CardHolderWhereInput[] = query.includes('@')
    ? [{ bookings: { some: { email: { equals: query, mode: 'insensitive' } } } }]
    : [{ noticeId: query }, { bookings: { some: { code: query.toUpperCase() } } }];
  const results = await db.cardHolder.findMany({ where: { AND: [holderScope(user), { OR: matches }] }, select: RESULT_SELECT, orderBy: { id: 'asc' }, take: MAX_RESULTS });
  await recordAudit(db, actor, { action: 'console.search', targetType: 'card_holder', detail: { query, found: results.length } });
  return { query, results };
}
