// Search by notice ID (whole or in part), booking code, email, or name / kana name in part.
// A barcode reader types the notice ID's digits and Enter; a clerk may type full-width digits,
// spaces, hyphens, half-width kana or hiragana for a katakana name: all of that is folded first.
import type { DbTx } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { noticeIdOf } from '../../lib/notice-id.js';
import type { StaffPrincipal } from '../staff/access.js';
import { recordAudit } from '../staff/audit.js';
import { openBooking } from '../../domain/booking-rules.js';
import type { Tx } from '../../db/transaction.js';
import { holderScope, holderScopeSql } from '../../policies/index.js';

const MAX_RESULTS = 50;
/** Parts of a notice ID shorter than this would match too many people: only whole IDs then. */
const MIN_PARTIAL_ID = 4;
const HIRAGANA = Array.from({ length: 0x3096 - 0x3041 + 1 }, (_, i) => String.fromCharCode(0x3041 + i)).join('');
const KATAKANA = Array.from({ length: 0x3096 - 0x3041 + 1 }, (_, i) => String.fromCharCode(0x30a1 + i)).join('');

/** Width folded (NFKC: full-width letters and digits to half-width, half-width kana to full-width), trimmed. */
const foldWidth = (raw: string) => raw.normalize('NFKC').trim();

/** An email address width-folded and trimmed; anything else as a notice ID or booking code is stored. */
export function normaliseQuery(raw: string): string {
  const text = foldWidth(raw);
  return text.includes('@') ? text : noticeIdOf(text);
}

/** A name as search compares it: width folded, hiragana as katakana, no spaces (long vowel marks kept). */
export function nameSearchKey(raw: string): string {
  return [...foldWidth(raw).replace(/\s/g, '')].map((char) => KATAKANA[HIRAGANA.indexOf(char)] ?? char).join('');
}

const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
/** The SQL twin of nameSearchKey for a stored name column (stored names are already NFKC from import). */
const foldedName = (column: Prisma.Sql) => Prisma.sql`translate(${column}, ${HIRAGANA} || ' ' || '\u3000', ${KATAKANA})`;

const RESULT_SELECT = {
  id: true,
  noticeId: true,
  name: true,
  nameKana: true,
  status: true,
  storagePlace: true,
  bookings: { where: openBooking, take: 1, select: { code: true, status: true, slot: { select: { startsAt: true, counter: { select: { name: true } } } } } },
} satisfies Prisma.CardHolderSelect;

export type SearchResult = Prisma.CardHolderGetPayload<{ select: typeof RESULT_SELECT }>;

/** Ids of the user's card holders whose notice ID contains the query, or whose name or kana name does. */
async function partialMatches(db: DbTx, query: string, raw: string, user: StaffPrincipal): Promise<number[]> {
  const name = nameSearchKey(raw);
  const idPart = query.length >= MIN_PARTIAL_ID ? Prisma.sql`upper(h.notice_id) LIKE ${likeContains(query.toUpperCase())}` : Prisma.sql`false`;
  const rows = await db.$queryRaw<{ id: number }[]>`
    SELECT h.id FROM card_holders h
     WHERE (${idPart}
        OR ${foldedName(Prisma.sql`h.name_kana`)} LIKE ${likeContains(name)}
        OR ${foldedName(Prisma.sql`h.name`)} LIKE ${likeContains(name)})
       AND ${holderScopeSql(user)}
     ORDER BY h.id LIMIT ${MAX_RESULTS}`;
  return rows.map((row) => row.id);
}

/** Card holders matching the query (exact notice ID, booking code or email; part of an ID or name); audited. */
export async function searchHolders(tx: Tx, raw: string, user: StaffPrincipal): Promise<{ query: string; results: SearchResult[] }> {
  const db = tx.db;
  const query = normaliseQuery(raw);
  if (query === '') return { query, results: [] };
  const exact: Prisma.CardHolderWhereInput[] = query.includes('@')
    ? [{ bookings: { some: { email: { equals: query, mode: 'insensitive' } } } }]
    : [{ noticeId: query }, { bookings: { some: { code: query.toUpperCase() } } }];
  const found = await db.cardHolder.findMany({ where: { AND: [holderScope(user), { OR: exact }] }, select: RESULT_SELECT, orderBy: { id: 'asc' }, take: MAX_RESULTS });
  const partial = found.length > 0 || query.includes('@') ? [] : await partialMatches(db, query, raw, user);
  const results = partial.length === 0 ? found : await db.cardHolder.findMany({ where: { id: { in: partial } }, select: RESULT_SELECT, orderBy: { id: 'asc' } });
  await recordAudit(tx, { action: 'console.search', targetType: 'card_holder', detail: { query, found: results.length, partial: partial.length > 0 } });
  return { query, results };
}
