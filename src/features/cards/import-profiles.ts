// Named column layouts of the J-LIS file, one per municipality (or per file variant).
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { ImportProfile } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit } from '../staff/audit.js';
import { CARD_FIELDS, DATE_FORMATS, type CardField } from './card-row.js';
import type { ProfileColumns } from './import-file.js';

const REQUIRED: CardField[] = ['noticeId', 'birthDate'];
/** Statuses a newly imported card may start in (a city that imports after the cards arrived, or after mailing the notices). */
export const START_STATUSES = ['data_received', 'card_arrived', 'notice_sent'] as const;

/** Form input holding a field's column ('col_name', so it never clashes with the profile's own name). */
export function columnInput(field: CardField): string {
  return `col_${field}`;
}

export const profileForm = z
  .object({
    name: z.string().trim().min(1, 'validation.required').max(60, 'cards.profile.tooLong'),
    format: z.enum(['csv', 'fixed'], { message: 'validation.invalid' }),
    encoding: z.enum(['auto', 'utf8', 'sjis'], { message: 'validation.invalid' }),
    hasHeader: z.enum(['yes', 'no'], { message: 'validation.invalid' }),
    dateFormat: z.enum(DATE_FORMATS, { message: 'validation.invalid' }),
    startStatus: z.enum(START_STATUSES, { message: 'validation.invalid' }).default('data_received'),
    ...Object.fromEntries(CARD_FIELDS.map((field) => [columnInput(field), z.string().trim().max(20).default('')])),
  })
  .superRefine((form, context) => {
    for (const field of CARD_FIELDS) {
      const spec = (form as Record<string, string>)[columnInput(field)];
      if (spec === '' && REQUIRED.includes(field)) context.addIssue({ code: 'custom', path: [columnInput(field)], message: 'validation.required' });
      else if (spec !== '' && !parseColumn(spec, form.format))
        context.addIssue({ code: 'custom', path: [columnInput(field)], message: form.format === 'csv' ? 'cards.profile.badColumn' : 'cards.profile.badWidth' });
    }
  });
export type ProfileFormData = z.infer<typeof profileForm>;

/** "3" for a CSV column; "17,8" (start byte, width in bytes) for fixed width. */
function parseColumn(spec: string, format: 'csv' | 'fixed'): number | [number, number] | null {
  const numbers = spec.split(/[,:、]/).map((part) => Number(part.trim()));
  if (numbers.some((value) => !Number.isInteger(value) || value < 1 || value > 9999)) return null;
  if (format === 'csv') return numbers.length === 1 ? numbers[0] : null;
  return numbers.length === 2 ? [numbers[0], numbers[1]] : null;
}

export function columnsOf(form: ProfileFormData): ProfileColumns {
  const columns: ProfileColumns = {};
  for (const field of CARD_FIELDS) {
    const spec = (form as Record<string, string>)[columnInput(field)];
    if (spec !== '') columns[field] = parseColumn(spec, form.format)!;
  }
  return columns;
}

/** The form values that show a stored profile. */
export function formOf(profile: ImportProfile): Record<string, string> {
  const columns = profile.columns as ProfileColumns;
  return {
    name: profile.name,
    format: profile.format,
    encoding: profile.encoding,
    hasHeader: profile.hasHeader ? 'yes' : 'no',
    dateFormat: profile.dateFormat,
    startStatus: profile.startStatus,
    ...Object.fromEntries(CARD_FIELDS.map((field) => [columnInput(field), Array.isArray(columns[field]) ? (columns[field] as number[]).join(',') : String(columns[field] ?? '')])),
  };
}

export function listProfiles(db: Db) {
  return db.importProfile.findMany({ orderBy: { id: 'asc' } });
}

export async function findProfile(db: Db, id: number) {
  const profile = await db.importProfile.findUnique({ where: { id } });
  if (!profile) throw new AppError(404, 'profile_not_found', 'cards.import.unknownProfile');
  return profile;
}

/** Creates (id undefined) or updates a profile. */
export async function saveProfile(tx: Tx, id: number | undefined, form: ProfileFormData): Promise<ImportProfile> {
  const data = {
    name: form.name,
    format: form.format,
    encoding: form.encoding,
    hasHeader: form.hasHeader === 'yes',
    dateFormat: form.dateFormat,
    startStatus: form.startStatus,
    columns: columnsOf(form),
  };
  const sameName = await tx.db.importProfile.findUnique({ where: { name: form.name }, select: { id: true } });
  if (sameName && sameName.id !== id) throw new AppError(409, 'profile_name_taken', 'cards.profile.nameTaken');
  const profile = id === undefined ? await tx.db.importProfile.create({ data }) : await tx.db.importProfile.update({ where: { id }, data });
  await recordAudit(tx, { action: 'cards.profile.save', targetType: 'import_profile', targetId: profile.id, detail: { name: profile.name } });
  return profile;
}
