// The FAQ entry form and the search word; messages are translation keys.
import { z } from 'zod';
import { blankAsMissing, lineSchema, textSchema } from '../../lib/validation.js';
import type { FaqInput } from './faq.js';

export const faqForm = z
  .object({
    category: lineSchema(50, 'faq.field.categoryInvalid').pipe(z.string().min(1, 'faq.field.categoryRequired')),
    question: textSchema(500, 'faq.field.questionInvalid').pipe(z.string().min(1, 'faq.field.questionRequired')),
    answer: textSchema(4000, 'faq.field.answerInvalid').pipe(z.string().min(1, 'faq.field.answerRequired')),
    published: z.enum(['1', '0'], { message: 'faq.field.publishedInvalid' }).default('0'),
    sortOrder: z.preprocess(
      (value) => (value === '' || value === undefined ? '0' : value),
      z
        .string({ message: 'faq.field.sortOrderInvalid' })
        .regex(/^-?\d{1,6}$/, 'faq.field.sortOrderInvalid')
        .transform(Number),
    ),
  })
  .transform((form): FaqInput => ({ ...form, published: form.published === '1' }));

/** The search word of /faq and /staff/faq (a citizen may type anything: bounded, no control characters). */
export const faqSearch = z.object({ q: blankAsMissing(lineSchema(100, 'citizen.faq.badSearch')) });

/** The version of the entry the edit form was opened at (see saveFaq). */
export const faqVersion = z.object({ version: z.string({ message: 'faq.form.changed' }).regex(/^[0-9]{1,20}$/, 'faq.form.changed') });
