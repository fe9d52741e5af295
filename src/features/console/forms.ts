// Input schemas of the console; messages are translation keys shown beside the field.
import { z } from 'zod';
import { codeSchema } from '../schedule/forms.js';
import { PICKUP } from '../schedule/procedures.js';
import { blankAsMissing, idSchema, isoDateSchema, lineSchema, optionalIdSchema, timeOfDaySchema } from '../../lib/validation.js';
import { normaliseMonthDay } from '../citizen/login-service.js';

export const id = idSchema();
export const isoDate = isoDateSchema('console.field.badDate');
const hhmm = timeOfDaySchema('console.field.badTime');
const birth = z.preprocess((value) => normaliseMonthDay(String(value ?? '')), z.string().regex(/^\d{4}$/, 'console.field.birthFormat'));

export const dateQuery = z.object({ date: blankAsMissing(isoDate) });
export const weekQuery = z.object({ from: blankAsMissing(isoDate) });
export const searchQuery = z.object({ q: lineSchema(200).default('') });
export const pickerQuery = z.object({ counterId: optionalIdSchema(), date: blankAsMissing(isoDate), procedure: blankAsMissing(codeSchema).catch(undefined) });

export const bookForm = z
  .object({
    slotId: id.optional(),
    procedure: codeSchema.default(PICKUP),
    birth,
    email: blankAsMissing(z.string().trim().max(254).email('console.field.badEmail')),
    override: blankAsMissing(z.literal('1')),
    reason: z.string().trim().max(200, 'console.override.reasonTooLong').default(''),
  })
  .superRefine((form, ctx) => {
    if (form.slotId === undefined) ctx.addIssue({ code: 'custom', path: ['slotId'], message: 'console.field.chooseSlot' });
    if (form.override && form.reason === '') ctx.addIssue({ code: 'custom', path: ['reason'], message: 'console.override.reasonRequired' });
  });

/** A booking for a caller without a notice ID (their identity fields are parsed with the city's identity form). */
export const applicantBookForm = z
  .object({
    slotId: id.optional(),
    procedure: codeSchema,
    email: blankAsMissing(z.string().trim().max(254).email('console.field.badEmail')),
  })
  .superRefine((form, ctx) => {
    if (form.slotId === undefined) ctx.addIssue({ code: 'custom', path: ['slotId'], message: 'console.field.chooseSlot' });
  });

export const moveForm = z.object({ bookingId: id, slotId: id.optional(), birth }).superRefine((form, ctx) => {
  if (form.slotId === undefined) ctx.addIssue({ code: 'custom', path: ['slotId'], message: 'console.field.chooseSlot' });
});
export const cancelForm = z.object({ bookingId: id, birth });
export const noShowForm = z.object({ date: isoDate });

export const STATUSES = ['active', 'checked_in', 'handed_over', 'no_show', 'cancelled'] as const;
export const CHANNELS = ['web', 'phone', 'counter'] as const;

export const exportQuery = z
  .object({
    counterId: optionalIdSchema(),
    from: isoDate,
    to: isoDate,
    timeFrom: blankAsMissing(hhmm),
    timeTo: blankAsMissing(hhmm),
    status: blankAsMissing(z.enum(STATUSES)),
    channel: blankAsMissing(z.enum(CHANNELS)),
  })
  .refine((form) => form.from <= form.to, { path: ['to'], message: 'console.export.badRange' });
