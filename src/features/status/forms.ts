// The notice form of the console; messages are translation keys shown beside the field.
import { z } from 'zod';
import { blankAsMissing, isoDateSchema, requiredLineSchema, textSchema, timeOfDaySchema } from '../../lib/validation.js';
import { jstInstant } from '../../lib/jst.js';
import type { NoticeInput } from './notices.js';

const time = timeOfDaySchema('status.field.badTime');

export const noticeForm = z
  .object({
    kind: z.enum(['maintenance', 'incident'], { message: 'status.field.chooseKind' }),
    title: requiredLineSchema(100, 'status.field.titleRequired', 'status.field.titleInvalid'),
    body: textSchema(2000, 'status.field.bodyInvalid').default(''),
    startDate: isoDateSchema('status.field.badDate'),
    startTime: time,
    endDate: blankAsMissing(isoDateSchema('status.field.badDate')),
    endTime: blankAsMissing(time),
  })
  .superRefine((form, context) => {
    if ((form.endDate === undefined) !== (form.endTime === undefined)) context.addIssue({ code: 'custom', path: ['endDate'], message: 'status.field.endBoth' });
    else if (form.endDate !== undefined && form.endTime !== undefined && jstInstant(form.endDate, form.endTime) <= jstInstant(form.startDate, form.startTime))
      context.addIssue({ code: 'custom', path: ['endDate'], message: 'status.field.endAfterStart' });
  })
  .transform((form): NoticeInput => ({
    kind: form.kind,
    title: form.title,
    body: form.body,
    startsAt: jstInstant(form.startDate, form.startTime),
    endsAt: form.endDate !== undefined && form.endTime !== undefined ? jstInstant(form.endDate, form.endTime) : null,
  }));
