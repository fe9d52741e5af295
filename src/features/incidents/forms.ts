// The incident forms and the list's filter; messages are translation keys shown beside the field.
import { z } from 'zod';
import { blankAsMissing, isoDateSchema, optionalIdSchema, requiredLineSchema, textSchema, timeOfDaySchema } from '../../lib/validation.js';
import { jstInstant } from '../../lib/jst.js';

const time = timeOfDaySchema('incidents.field.badTime');
const date = isoDateSchema('incidents.field.badDate');
const text = (max: number) => textSchema(max, 'incidents.field.textInvalid').default('');

/** An alert's id (bigint) in a form, query or path: up to 18 digits, or null. */
export const alertIdOf = (value: unknown): bigint | null => (typeof value === 'string' && /^[0-9]{1,18}$/.test(value) ? BigInt(value) : null);
const alertIdSchema = z.unknown().transform((value, context) => alertIdOf(value) ?? (context.addIssue({ code: 'custom', message: 'incidents.field.badAlert' }), z.NEVER));

export const INCIDENT_KINDS = ['system', 'counter'] as const;
export const INCIDENT_STATUSES = ['open', 'resolved'] as const;

export interface IncidentInput {
  kind: (typeof INCIDENT_KINDS)[number];
  counterId: number | null;
  title: string;
  description: string;
  impact: string;
  response: string;
  startedAt: Date;
  endedAt: Date | null;
  alertId: bigint | null;
}

/** A moment given as a date and a time (Japan time), both or neither when optional. */
const endOf = (form: { endDate?: string; endTime?: number }) => (form.endDate !== undefined && form.endTime !== undefined ? jstInstant(form.endDate, form.endTime) : null);

export const incidentForm = z
  .object({
    kind: z.enum(INCIDENT_KINDS, { message: 'incidents.field.chooseKind' }),
    counterId: optionalIdSchema('incidents.field.chooseCounter'),
    title: requiredLineSchema(200, 'incidents.field.titleRequired', 'incidents.field.titleInvalid'),
    description: text(4000),
    impact: text(4000),
    response: text(4000),
    startDate: date,
    startTime: time,
    endDate: blankAsMissing(date),
    endTime: blankAsMissing(time),
    alertId: blankAsMissing(alertIdSchema),
  })
  .superRefine((form, context) => {
    if (form.kind === 'counter' && form.counterId === undefined) context.addIssue({ code: 'custom', path: ['counterId'], message: 'incidents.field.chooseCounter' });
    if (form.kind === 'system' && form.counterId !== undefined) context.addIssue({ code: 'custom', path: ['counterId'], message: 'incidents.field.systemHasNoCounter' });
    if ((form.endDate === undefined) !== (form.endTime === undefined)) context.addIssue({ code: 'custom', path: ['endDate'], message: 'incidents.field.endBoth' });
    const end = endOf(form);
    if (end && end < jstInstant(form.startDate, form.startTime)) context.addIssue({ code: 'custom', path: ['endDate'], message: 'incidents.field.endAfterStart' });
  })
  .transform((form): IncidentInput => ({
    kind: form.kind,
    counterId: form.kind === 'counter' ? (form.counterId ?? null) : null,
    title: form.title,
    description: form.description,
    impact: form.impact,
    response: form.response,
    startedAt: jstInstant(form.startDate, form.startTime),
    endedAt: endOf(form),
    alertId: form.alertId ?? null,
  }));

export const resolveForm = z
  .object({ endDate: date, endTime: time, response: text(4000) })
  .transform((form) => ({ endedAt: jstInstant(form.endDate, form.endTime), response: form.response }));

export const linkForm = z.object({ alertId: alertIdSchema }).transform((form) => form.alertId);

export const listQuery = z.object({
  kind: blankAsMissing(z.enum(INCIDENT_KINDS, { message: 'incidents.filter.invalid' })),
  status: blankAsMissing(z.enum(INCIDENT_STATUSES, { message: 'incidents.filter.invalid' })),
  counter: optionalIdSchema('incidents.filter.invalid'),
  from: blankAsMissing(isoDateSchema('incidents.filter.invalid')),
  to: blankAsMissing(isoDateSchema('incidents.filter.invalid')),
});
export type IncidentFilter = z.infer<typeof listQuery>;
