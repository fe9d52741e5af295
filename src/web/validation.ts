import type { z } from 'zod';

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

/** Full-width digits and letters to half-width (citizens type on Japanese keyboards). */
export function toHalfWidth(value: string): string {
  return value.replace(/[\uFF01-\uFF5E]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}
