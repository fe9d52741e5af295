// The notice form of the console; messages are translation keys shown beside the field.
import { z } from 'zod';
import { hasStrayControlCharacters, isoDateSchema, requiredLineSchema } from '../../lib/validation.js';
import { jstInstant } from '../../lib/jst.js';
import type { NoticeInput } from './notices.js';

const blankIsMissing = (value: unknown) => (value === '' ? undefined : value);
const time = z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'status.field.badTime');
const minutesOf = (hhmm: string) => Number(hhmm.split(':')[0]) * 60 + Number(hhmm.split(':')[1]);
/** Minutes after midnight as a time input's value (09:30). */
export const timeValue = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export const noticeForm = z
  .object({
    kind: z.enum(['maintenance', 'incident'], { message: 'status.field.chooseKind' }),
    title: requiredLineSchema(100, 'status.field.titleRequired', 'status.field.titleInvalid'),
    body: z
      .string({ message: 'status.field.bodyInvalid' })
      .trim()
      .max(2000, 'status.field.bodyInvalid')
      .refine((value) => !hasStrayControlCharacters(value), 'status.field.bodyInvalid')
      .default(''),
    startDate: isoDateSchema('status.field.badDate'),
    startTime: time,
    endDate: z.preprocess(blankIsMissing, isoDateSchema('status.field.badDate').optional()),
    endTime: z.preprocess(blankIsMissing, time.optional()),
  })
  .superRefine((form, context) => {
    if ((form.endDate === undefined) !== (form.endTime === undefined)) context.addIssue({ code: 'custom', path: ['endDate'], message: 'status.field.endBoth' });
    else if (form.endDate && form.endTime && jstInstant(form.endDate, minutesOf(form.endTime)) <= jstInstant(form.startDate, minutesOf(form.startTime)))
      context.addIssue({ code: 'custom', path: ['endDate'], message: 'status.field.endAfterStart' });
  })
  .transform((form): NoticeInput => ({
    kind: form.kind,
    title: form.title,
    body: form.body,
    startsAt: jstInstant(form.startDate, minutesOf(form.startTime)),
    endsAt: form.endDate && form.endTime ? jstInstant(form.endDate, minutesOf(form.endTime)) : null,
  }));
