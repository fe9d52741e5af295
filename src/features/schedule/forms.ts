// zod schemas for the schedule screens. Messages are translation keys shown beside the field.
import { z } from 'zod';
import { hasStrayControlCharacters, isoDateSchema, monthSchema } from '../../lib/validation.js';
import { toHalfWidth } from '../../lib/width.js';

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, 'schedule.error.tooLong')
    .refine((value) => !hasStrayControlCharacters(value), 'validation.invalid');
const required = (max: number) => text(max).min(1, 'validation.required');
const half = (value: unknown) => (typeof value === 'string' ? toHalfWidth(value).trim() : value);
const blankToUndefined = (value: unknown) => (typeof value === 'string' && toHalfWidth(value).trim() === '' ? undefined : half(value));

export const int = (min: number, max: number) =>
  z.preprocess(half, z.coerce.number({ error: 'schedule.error.number' }).int('schedule.error.number').min(min, 'schedule.error.range').max(max, 'schedule.error.range'));
const optionalInt = (min: number, max: number) => z.preprocess(blankToUndefined, int(min, max).optional());
export const isoDate = isoDateSchema('schedule.error.date');
const optionalDate = z.preprocess(blankToUndefined, isoDate.optional());
const checkbox = z.preprocess((value) => value === 'on' || value === 'true' || value === true || value === '1', z.boolean());
export const month = monthSchema('schedule.error.month');
/** A counter's or a procedure's code (the key files and forms use; the database CHECKs the same form). */
export const codeSchema = z.preprocess(half, z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'schedule.error.code'));
/** A form's list field: one value (a single checkbox), several, or none at all. */
export const formList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const yesNo = z.preprocess((value) => (value === 'yes' ? true : value === 'no' ? false : undefined), z.boolean().optional());

/** 'HH:MM' (also 全角) -> minutes after midnight; 24:00 is allowed as an end. */
export function parseTime(value: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(toHalfWidth(value).trim());
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return Number(match[2]) < 60 && minutes <= 1440 ? minutes : undefined;
}

const time = z.string().transform((value, context) => {
  const minutes = parseTime(value);
  if (minutes === undefined) {
    // 「25:00」 has the right form but is no time of day; 「9時」 has the wrong form.
    const wellFormed = /^\d{1,2}:\d{2}$/.test(toHalfWidth(value).trim());
    context.addIssue({ code: 'custom', message: wellFormed ? 'schedule.error.timeInvalid' : 'schedule.error.time' });
    return z.NEVER;
  }
  return minutes;
});
const optionalTime = z.preprocess(blankToUndefined, time.optional());

const days = z.preprocess(formList, z.array(z.coerce.number().int().min(0).max(6)).min(1, 'schedule.error.days'));

export const counterForm = z.object({
  code: codeSchema,
  name: required(100),
  address: text(200).default(''),
  accessNotes: text(500).default(''),
  windows: int(1, 99),
  purposes: z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(/[,、\n]/)
            .map((item) => item.trim())
            .filter(Boolean)
        : (value ?? []),
    z.array(z.string().max(50)).max(20),
  ),
  /** The codes of the procedures the counter offers (at least one). */
  procedures: z.preprocess(formList, z.array(codeSchema).min(1, 'schedule.error.procedureNeeded')),
});
export type CounterFields = z.infer<typeof counterForm>;

/** Hours, break, slot length and capacity shared by opening rules and date overrides. */
const periodFields = {
  label: text(50).default(''),
  start: time,
  end: time,
  breakStart: optionalTime,
  breakEnd: optionalTime,
  slotMinutes: int(1, 480),
  capacityMode: z.enum(['slot', 'window']).default('slot'),
  capacityPerSlot: optionalInt(0, 999),
  peoplePerWindow: optionalInt(0, 99),
  reservedCapacity: z.preprocess(blankToUndefined, int(0, 999).default(0)),
};

type PeriodLike = {
  start: number;
  end: number;
  breakStart?: number;
  breakEnd?: number;
  slotMinutes: number;
  capacityMode: 'slot' | 'window';
  capacityPerSlot?: number;
  peoplePerWindow?: number;
  reservedCapacity: number;
};

function checkPeriod(period: PeriodLike, context: z.RefinementCtx): void {
  const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
  if (period.end <= period.start) issue('end', 'schedule.error.endBeforeStart');
  else if (period.end - period.start < period.slotMinutes) issue('slotMinutes', 'schedule.error.slotTooLong');
  if ((period.breakStart === undefined) !== (period.breakEnd === undefined)) issue('breakEnd', 'schedule.error.breakBoth');
  else if (period.breakStart !== undefined && (period.breakStart >= period.breakEnd! || period.breakStart < period.start || period.breakEnd! > period.end))
    issue('breakStart', 'schedule.error.breakInside');
  if (period.capacityMode === 'slot' && period.capacityPerSlot === undefined) issue('capacityPerSlot', 'validation.required');
  if (period.capacityMode === 'window' && period.peoplePerWindow === undefined) issue('peoplePerWindow', 'validation.required');
  if (period.capacityMode === 'slot' && period.capacityPerSlot !== undefined && period.reservedCapacity > period.capacityPerSlot)
    issue('reservedCapacity', 'schedule.error.reservedTooMany');
}

export const ruleForm = z
  .object({ ...periodFields, label: required(50), days, validFrom: isoDate, validTo: optionalDate, openOnHolidays: checkbox })
  .superRefine((rule, context) => {
    checkPeriod(rule, context);
    if (rule.validTo && rule.validTo < rule.validFrom) context.addIssue({ code: 'custom', path: ['validTo'], message: 'schedule.error.validTo' });
  });
export type RuleFields = z.infer<typeof ruleForm>;

export const overrideForm = z
  .object({
    ...periodFields,
    start: z.string().optional(),
    end: z.string().optional(),
    slotMinutes: z.unknown().optional(),
    kind: z.enum(['open', 'closed']),
    dateFrom: isoDate,
    dateTo: optionalDate,
  })
  .transform((form, context) => {
    if (form.dateTo && (form.dateTo < form.dateFrom || Date.parse(form.dateTo) - Date.parse(form.dateFrom) > 92 * 86_400_000)) {
      context.addIssue({ code: 'custom', path: ['dateTo'], message: 'schedule.error.overrideRange' });
    }
    if (form.kind === 'closed') return { kind: 'closed' as const, label: form.label, dateFrom: form.dateFrom, dateTo: form.dateTo ?? form.dateFrom, period: undefined };
    const period = z.object({ start: time, end: time, slotMinutes: int(1, 480) }).safeParse(form);
    if (!period.success) {
      for (const issue of period.error.issues) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      return z.NEVER;
    }
    const merged = { ...form, ...period.data };
    checkPeriod(merged, context);
    return { kind: 'open' as const, label: form.label, dateFrom: form.dateFrom, dateTo: form.dateTo ?? form.dateFrom, period: merged };
  });
export type OverrideFields = z.infer<typeof overrideForm>;

/** A procedure (what a person comes for); blank window fields follow the counter's policy, blank limits mean none. */
export const procedureForm = z.object({
  code: codeSchema,
  name: required(100),
  minutes: int(1, 480),
  needsNoticeId: checkbox,
  needsStoredCard: checkbox,
  opensDaysAhead: optionalInt(1, 366),
  sameDayAllowed: yesNo,
  documents: z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split('\n')
            .map((item) => item.trim())
            .filter(Boolean)
        : (value ?? []),
    z.array(text(100)).max(20, 'schedule.error.tooMany'),
  ),
  perSlotLimit: optionalInt(1, 999),
  perDayLimit: optionalInt(1, 9999),
});
export type ProcedureFields = z.infer<typeof procedureForm>;
/** Editing keeps the code: bookings, counters and the schedule file name the procedure by it. */
export const procedureEditForm = procedureForm.omit({ code: true });
export type ProcedureEditFields = z.infer<typeof procedureEditForm>;

const monthDay = z.preprocess(half, z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'schedule.error.monthDay'));

const scope = z.string().regex(/^\d*$/, 'validation.invalid').default('');

export const closureForm = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('single_date'), label: required(50), counterId: scope, date: isoDate }),
    z
      .object({ kind: z.literal('date_range'), label: required(50), counterId: scope, from: isoDate, to: isoDate })
      .refine((form) => form.to >= form.from, { path: ['to'], message: 'schedule.error.validTo' }),
    z.object({ kind: z.literal('yearly_range'), label: required(50), counterId: scope, fromDay: monthDay, toDay: monthDay }),
    z.object({
      kind: z.literal('nth_weekday'),
      label: required(50),
      counterId: scope,
      nth: z.coerce
        .number()
        .int()
        .refine((n) => n === -1 || (n >= 1 && n <= 5), 'schedule.error.range'),
      weekday: int(0, 6),
      offsetDays: z.preprocess(blankToUndefined, int(0, 6).default(0)),
    }),
  ],
  { error: 'schedule.error.closureKind' },
);
export type ClosureFields = z.infer<typeof closureForm>;

const policyFields = {
  opensDaysAhead: optionalInt(0, 400),
  closesDaysBefore: optionalInt(0, 60),
  closesAt: optionalTime,
  sameDayAllowed: yesNo,
  sameDayUntilMinutes: optionalInt(0, 1440),
  maxPeoplePerBooking: optionalInt(1, 20),
};
/** The global policy needs every field; a counter's override leaves blank what it inherits. */
export const globalPolicyForm = z.object(policyFields).superRefine((form, context) => {
  for (const [key, value] of Object.entries(form)) if (value === undefined) context.addIssue({ code: 'custom', path: [key], message: 'validation.required' });
});
export const counterPolicyForm = z.object(policyFields);
export type PolicyFields = z.infer<typeof counterPolicyForm>;

export const reportQuery = z
  .object({ from: month, to: month, format: z.enum(['html', 'csv']).default('html'), encoding: z.string().optional() })
  .refine((query) => query.to >= query.from, { path: ['to'], message: 'schedule.error.validTo' });

/** The longest range staff generate at once: a fiscal year and a little more. */
export const MAX_SLOT_RANGE_DAYS = 400;

export const slotRangeForm = z.object({ from: isoDate, to: isoDate }).superRefine((range, context) => {
  if (range.to < range.from) context.addIssue({ code: 'custom', path: ['to'], message: 'schedule.error.validTo' });
  else if (Date.parse(range.to) - Date.parse(range.from) >= MAX_SLOT_RANGE_DAYS * 86_400_000)
    context.addIssue({ code: 'custom', path: ['to'], message: 'schedule.error.slotRangeTooLong' });
});

/** The result of a range generation, carried to the page in the redirect's query. */
export const slotRangeResult = z.object({ from: isoDate, to: isoDate, total: z.coerce.number().int().min(0), written: z.coerce.number().int().min(0) });
