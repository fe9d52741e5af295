// Who a booking is for, as the console shows it: a card holder (notice ID, card, storage place,
// a page of their own), or an applicant who booked a procedure without a notice ID (issue 14):
// known by a name in kana only, with no card to pull and no holder page.
import type { Prisma } from '../../generated/prisma/client.js';

export interface BookedPerson {
  /** The card holder's page, or null for an applicant. */
  holderId: number | null;
  /** The applicant's page, or null for a card holder. */
  applicantId: number | null;
  /** '' for an applicant. */
  noticeId: string;
  /** The applicant's name in kana where a card holder's name shows. */
  name: string;
  nameKana: string;
  /** '' for an applicant (no card is stored for them). */
  storagePlace: string;
}

const HOLDER_FIELDS = { id: true, noticeId: true, name: true, nameKana: true, storagePlace: true } satisfies Prisma.CardHolderSelect;

/** What a booking query selects to know its person (extend cardHolder's select where more is needed). */
export const PERSON_SELECT = { cardHolder: { select: HOLDER_FIELDS }, applicant: { select: { id: true, nameKana: true } } } satisfies Prisma.BookingSelect;

type PersonRow = Prisma.BookingGetPayload<{ select: typeof PERSON_SELECT }>;

export function bookedPerson({ cardHolder: holder, applicant }: PersonRow): BookedPerson {
  if (holder) return { holderId: holder.id, applicantId: null, noticeId: holder.noticeId, name: holder.name, nameKana: holder.nameKana, storagePlace: holder.storagePlace };
  const kana = applicant?.nameKana ?? '';
  return { holderId: null, applicantId: applicant?.id ?? null, noticeId: '', name: kana, nameKana: kana, storagePlace: '' };
}
