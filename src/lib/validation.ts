import { z } from 'zod';
import { toHalfWidth } from './width.js';
import { AppError } from './app-error.js';

export type FieldErrors = Record<string, string>;
export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/**
 * Parses a form with a zod schema whose messages are translation keys; returns the first
 * message key for each field that failed, to show beside that field.
 */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= issue.message.startsWith('validation.') || issue.message.includes('.') ? issue.message : 'validation.invalid';
  }
  return { ok: false, errors };
}

/** Parses a query, path parameters or a form that has no page to show errors on: a 400 with the first message. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = parseForm(schema, query);
  if (!parsed.ok) throw new AppError(400, 'bad_query', Object.values(parsed.errors)[0]);
  return parsed.data;
}

// One way to read the values every route takes from a path, query or form: a record id, a
// calendar date, a month, a line of text. Each refuses what PostgreSQL would refuse later (an
// integer beyond int4, 2026-02-31, a NUL byte), so bad input is a 400, never a 500.

/** The largest id PostgreSQL's integer (int4) columns hold. */
export const MAX_ID = 2_147_483_647;
/** Years a date or month may name: birth dates of living people up to bookings far ahead. */
const YEARS = { min: 1900, max: 2199 };

const half = (value: unknown) => (typeof value === 'string' ? toHalfWidth(value).trim() : typeof value === 'number' ? String(value) : value);

/** A record id: digits only (no sign, exponent or spaces inside), 1 to 2^31-1. */
export function parseId(value: unknown): number | undefined {
  const text = half(value);
  if (typeof text !== 'string' || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return id >= 1 && id <= MAX_ID ? id : undefined;
}

/** 'YYYY-MM-DD' naming a day that exists (no 2026-02-31) in a sane year. */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const day = new Date(`${value}T00:00:00Z`);
  return year >= YEARS.min && year <= YEARS.max && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value);
}

/** 'YYYY-MM' in a sane year. */
export function isMonth(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return false;
  const year = Number(value.slice(0, 4));
  return year >= YEARS.min && year <= YEARS.max;
}

/** NUL and the other C0 control characters (and DEL): never part of a name, ID or search word. */
export function hasControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return /[\u0000-\u001f\u007f]/.test(value);
}

/** Control characters other than tabs and line breaks: never part of text people type, even over several lines. */
export function hasStrayControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value);
}

/** Text over several lines that a person typed: trimmed, at most `max` characters, no stray control characters (NUL). */
export const textSchema = (max: number, message = 'validation.invalid') =>
  z
    .string({ message })
    .trim()
    .max(max, message)
    .refine((value) => !hasStrayControlCharacters(value), message);

/** A LIKE pattern matching values that contain `text`, its % _ and \ taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** The id in a path segment (/staff/users/:id): anything that is not an id is a page that does not exist. */
export function pathId(value: unknown, messageKey = 'error.404.body'): number {
  const id = parseId(value);
  if (id === undefined) throw new AppError(404, 'not_found', messageKey);
  return id;
}

/** zod schemas of the above; `message` is the translation key shown beside the field. */
export const idSchema = (message = 'validation.invalid') => z.unknown().transform((value, context) => parseId(value) ?? (context.addIssue({ code: 'custom', message }), z.NEVER));
/** A field a form or query may leave out (a select's blank choice, an empty box): '' or missing is undefined. */
export const blankAsMissing = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
/** An id a form or query may leave out: '' or missing is undefined. */
export const optionalIdSchema = (message = 'validation.invalid') => blankAsMissing(idSchema(message));
export const isoDateSchema = (message = 'validation.invalid') => z.preprocess(half, z.string({ message }).refine(isCalendarDate, message));
export const monthSchema = (message = 'validation.invalid') => z.preprocess(half, z.string({ message }).refine(isMonth, message));
/** One line of text (a name, an ID, a search word): trimmed, at most `max` characters, no control characters. */
export const lineSchema = (max: number, message = 'validation.invalid') =>
  z
    .string({ message })
    .trim()
    .max(max, message)
    .refine((value) => !hasControlCharacters(value), message);
/** A line a person must fill in: missing or blank is `required`, anything else that is not one short line of text is `invalid`. */
export const requiredLineSchema = (max: number, required: string, invalid: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? required : invalid) })
    .pipe(lineSchema(max, invalid))
    .pipe(z.string().min(1, required));

/** A time of day 'H:MM' or 'HH:MM' (全角 too), 00:00 to 23:59, as minutes after midnight. */
export const timeOfDaySchema = (message = 'validation.invalid') =>
  z.preprocess(
    half,
    z
      .string({ message })
      .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, message)
      .transform((value) => Number(value.split(':')[0]) * 60 + Number(value.split(':')[1])),
  );
