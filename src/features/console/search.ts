// Search card holders by notice ID (whole or in part), booking code, email, or name / kana name in
// part; and applicants (booked without a notice ID) by booking code, email, kana name in part or phone.
// A barcode reader types the notice ID's digits and Enter; a clerk may type full-width digits,
// spaces, hyphens, half-width kana or hiragana for a katakana name: all of that is folded first.
import type { DbTx } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { noticeIdOf } from '../../lib/notice-id.js';
import { containsPattern } from '../../lib/validation.js';
import type { StaffPrincipal } from '../staff/access.js';
import { keyedText, recordAudit } from '../staff/audit.js';
import { openBooking } from '../../domain/booking-rules.js';
import type { Tx } from '../../db/transaction.js';
import { applicantScopeSql, holderScopeSql } from '../../policies/index.js';

const MAX_RESULTS = 50;
/** Parts of a notice ID or phone number shorter than this would match too many people: only whole ones then. */
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

/** The SQL twin of nameSearchKey for a stored name column (stored names are already NFKC from import). */
const foldedName = (column: Prisma.Sql) => Prisma.sql`translate(${column}, ${HIRAGANA} || ' ' || '\u3000', ${KATAKANA})`;

const OPEN_BOOKINGS = { where: openBooking, select: { code: true, status: true, slot: { select: { startsAt: true, counter: { select: { name: true } } } } } } as const;

const RESULT_SELECT = {
  id: true,
  noticeId: true,
  name: true,
  nameKana: true,
  status: true,
  storagePlace: true,
  bookings: { ...OPEN_BOOKINGS, take: 1 },
} satisfies Prisma.CardHolderSelect;

/** An applicant has no card and no page: their kana name and open bookings (one per procedure). */
const APPLICANT_SELECT = { id: true, nameKana: true, bookings: OPEN_BOOKINGS } satisfies Prisma.ApplicantSelect;

export type SearchResult = Prisma.CardHolderGetPayload<{ select: typeof RESULT_SELECT }>;
export type ApplicantResult = Prisma.ApplicantGetPayload<{ select: typeof APPLICANT_SELECT }>;

/**
 * Card holders and applicants the user may see, as one relation (in a query, `p`): one of
 * holder_id / applicant_id is set; `phone` holds the applicant's phone number's digits.
 */
const peopleOf = (user: StaffPrincipal) => Prisma.sql`
  SELECT h.id AS holder_id, NULL::int AS applicant_id, h.notice_id, h.name, h.name_kana, NULL::text AS phone
    FROM card_holders h WHERE ${holderScopeSql(user)}
  UNION ALL
  SELECT NULL, a.id, NULL, NULL, a.name_kana, regexp_replace(a.phone, '[^0-9]', '', 'g')
    FROM applicants a WHERE ${applicantScopeSql(user)}`;

/** The person `p` has a booking meeting the condition on bookings `b` (ids read once, so the primary keys' indexes serve). */
const hasBooking = (condition: Prisma.Sql) =>
  Prisma.sql`(p.holder_id = ANY(ARRAY(SELECT b.card_holder_id FROM bookings b WHERE ${condition})) OR p.applicant_id = ANY(ARRAY(SELECT b.applicant_id FROM bookings b WHERE ${condition})))`;

/** Whole matches: an email of a booking; or a notice ID, booking code or phone number. */
function exactMatch(query: string): Prisma.Sql {
  if (query.includes('@')) return hasBooking(Prisma.sql`lower(b.email) = lower(${query})`);
  return Prisma.sql`(p.notice_id = ${query} OR p.phone = ${query} OR ${hasBooking(Prisma.sql`b.code = ${query.toUpperCase()}`)})`;
}

/** Matches in part: a notice ID or phone number containing the query, or a name or kana name. */
function partialMatch(query: string, raw: string): Prisma.Sql {
  const name = containsPattern(nameSearchKey(raw));
  const number = containsPattern(query.toUpperCase());
  const numberPart = query.length >= MIN_PARTIAL_ID ? Prisma.sql`upper(p.notice_id) LIKE ${number} OR p.phone LIKE ${number}` : Prisma.sql`false`;
  return Prisma.sql`(${numberPart} OR ${foldedName(Prisma.sql`p.name_kana`)} LIKE ${name} OR ${foldedName(Prisma.sql`p.name`)} LIKE ${name})`;
}

interface Matches {
  holderIds: number[];
  applicantIds: number[];
}

/** Ids of the people the user may see who meet the condition on `p`: card holders first. */
async function matchingPeople(db: DbTx, condition: Prisma.Sql, user: StaffPrincipal): Promise<Matches> {
  const rows = await db.$queryRaw<{ holder_id: number | null; applicant_id: number | null }[]>`
    SELECT p.holder_id, p.applicant_id FROM (${peopleOf(user)}) p
     WHERE ${condition}
     ORDER BY p.applicant_id NULLS FIRST, p.holder_id LIMIT ${MAX_RESULTS}`;
  return { holderIds: rows.flatMap((row) => row.holder_id ?? []), applicantIds: rows.flatMap((row) => row.applicant_id ?? []) };
}

const isEmpty = (matches: Matches) => matches.holderIds.length + matches.applicantIds.length === 0;

/** Card holders and applicants matching the query (whole matches first, else parts of an ID, phone or name); audited. */
export async function searchPeople(tx: Tx, raw: string, user: StaffPrincipal, pepper: string): Promise<{ query: string; holders: SearchResult[]; applicants: ApplicantResult[] }> {
  const db = tx.db;
  const query = normaliseQuery(raw);
  if (query === '') return { query, holders: [], applicants: [] };
  const exact = await matchingPeople(db, exactMatch(query), user);
  const partial = isEmpty(exact) && !query.includes('@');
  const { holderIds, applicantIds } = partial ? await matchingPeople(db, partialMatch(query, raw), user) : exact;
  const [holders, applicants] = await Promise.all([
    db.cardHolder.findMany({ where: { id: { in: holderIds } }, select: RESULT_SELECT, orderBy: { id: 'asc' } }),
    db.applicant.findMany({ where: { id: { in: applicantIds } }, select: APPLICANT_SELECT, orderBy: { id: 'asc' } }),
  ]);
  const found = holders.length + applicants.length;
  await recordAudit(tx, {
    action: 'console.search',
    targetType: 'card_holder',
    detail: { query: keyedText(pepper, query), found, applicants: applicants.length, partial: partial && found > 0 },
  });
  return { query, holders, applicants };
}
