// Input schemas of the counter floor; messages are translation keys shown beside the field.
import { z } from 'zod';
import { blankAsMissing } from '../../lib/validation.js';
import { codeSchema, int, isoDate } from '../schedule/forms.js';

const window = int(1, 99);

/** The window a clerk works at (?window=N on the window page; a field of every call). */
export const windowQuery = z.object({ window: blankAsMissing(window).catch(undefined) });
export const callForm = z.object({ window });
export const walkInForm = z.object({ procedure: codeSchema });
export const dateQuery = z.object({ date: isoDate.optional() });
export const paperQuery = z.object({ paper: z.enum(['receipt', 'a4']).catch('receipt') });

const prefix = z.preprocess((value) => (typeof value === 'string' ? value.trim().toUpperCase() : value), z.string().regex(/^[A-Z0-9]{0,3}$/, 'floor.ranges.badPrefix'));
const number = int(1, 9999);

/** A counter's two ranges: booked visitors (予約) and walk-ins (予約なし), each a prefix and first and last numbers. */
export const rangesForm = z
  .object({ bookedPrefix: prefix, bookedFirst: number, bookedLast: number, walkInPrefix: prefix, walkInFirst: number, walkInLast: number })
  .superRefine((value, ctx) => {
    if (value.bookedFirst > value.bookedLast) ctx.addIssue({ code: 'custom', path: ['bookedLast'], message: 'floor.ranges.lastBeforeFirst' });
    if (value.walkInFirst > value.walkInLast) ctx.addIssue({ code: 'custom', path: ['walkInLast'], message: 'floor.ranges.lastBeforeFirst' });
    // Two queues printing the same numbers would call two people at once.
    if (value.bookedPrefix === value.walkInPrefix) ctx.addIssue({ code: 'custom', path: ['walkInPrefix'], message: 'floor.ranges.samePrefix' });
  });
export type RangesFields = z.infer<typeof rangesForm>;
