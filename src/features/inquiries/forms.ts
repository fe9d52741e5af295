// The inquiry forms and the search of the log; messages are translation keys shown beside the field.
import { z } from 'zod';
import { jstInstant, addDays } from '../../lib/jst.js';
import { blankAsMissing, isoDateSchema, lineSchema, monthSchema, optionalIdSchema, textSchema, timeOfDaySchema } from '../../lib/validation.js';
import { INQUIRY_CHANNELS, INQUIRY_STATUSES, type InquiryFilter, type InquiryInput } from './inquiries.js';

export const inquiryForm = z
  .object({
    receivedDate: isoDateSchema('inquiries.field.badDate'),
    receivedTime: timeOfDaySchema('inquiries.field.badTime'),
    channel: z.enum(INQUIRY_CHANNELS, { message: 'inquiries.field.chooseChannel' }),
    categoryCode: lineSchema(40, 'inquiries.field.categoryInvalid').pipe(z.string().min(1, 'inquiries.field.categoryInvalid')),
    body: textSchema(2000, 'inquiries.field.bodyInvalid').pipe(z.string().min(1, 'inquiries.field.bodyRequired')),
    cardHolderId: optionalIdSchema('inquiries.field.personNotFound'),
    bookingId: optionalIdSchema('inquiries.field.personNotFound'),
    applicantId: optionalIdSchema('inquiries.field.personNotFound'),
    counterId: optionalIdSchema('inquiries.field.counterInvalid'),
    escalatedTo: blankAsMissing(lineSchema(200, 'inquiries.field.escalatedToInvalid')),
  })
  .transform((form): InquiryInput => ({
    receivedAt: jstInstant(form.receivedDate, form.receivedTime),
    channel: form.channel,
    categoryCode: form.categoryCode,
    body: form.body,
    cardHolderId: form.cardHolderId,
    bookingId: form.bookingId,
    applicantId: form.applicantId,
    counterId: form.counterId,
    escalatedTo: form.escalatedTo || undefined,
  }));

export const escalateForm = z.object({ escalatedTo: lineSchema(200, 'inquiries.field.escalatedToInvalid').pipe(z.string().min(1, 'inquiries.field.escalatedToRequired')) });
export const answerForm = z.object({ response: textSchema(2000, 'inquiries.field.responseInvalid').pipe(z.string().min(1, 'inquiries.field.responseRequired')) });

/** The search of the log (a query string): every field optional, anything malformed a 400. */
export const searchQuery = z
  .object({
    q: blankAsMissing(lineSchema(100, 'inquiries.search.invalid')),
    category: blankAsMissing(lineSchema(40, 'inquiries.search.invalid')),
    channel: blankAsMissing(z.enum(INQUIRY_CHANNELS, { message: 'inquiries.search.invalid' })),
    status: blankAsMissing(z.enum(INQUIRY_STATUSES, { message: 'inquiries.search.invalid' })),
    from: blankAsMissing(isoDateSchema('inquiries.search.badDate')),
    to: blankAsMissing(isoDateSchema('inquiries.search.badDate')),
    holder: optionalIdSchema('inquiries.search.invalid'),
    encoding: z.unknown().optional(),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { message: 'inquiries.search.badRange', path: ['to'] });

export type SearchQuery = z.infer<typeof searchQuery>;

export function filterOf(query: SearchQuery): InquiryFilter {
  return {
    text: query.q,
    categoryCode: query.category,
    channel: query.channel,
    status: query.status,
    from: query.from ? jstInstant(query.from) : undefined,
    until: query.to ? jstInstant(addDays(query.to, 1)) : undefined,
    cardHolderId: query.holder,
  };
}

/** The month of the counts page and its CSV (this month when left out). */
export const countsQuery = z.object({ month: monthSchema('inquiries.counts.badMonth').optional(), encoding: z.unknown().optional() });
