// Input schemas of card logistics; messages are translation keys shown beside the field.
import { z } from 'zod';
import { isNoticeId, noticeIdOf } from '../../../lib/notice-id.js';
import { idSchema, lineSchema, optionalIdSchema } from '../../../lib/validation.js';
import { RETURN_REASONS } from './returns.js';

/** What a barcode reader (or a person) typed: a notice ID in the city's format, in its stored form. */
const scanned = lineSchema(64, 'logistics.scan.notNoticeId')
  .refine((value) => isNoticeId(value), 'logistics.scan.notNoticeId')
  .transform((value) => noticeIdOf(value));
const storagePlace = z.preprocess((value) => value ?? '', lineSchema(100, 'logistics.receive.badPlace'));

export const receiveForm = z.object({ code: scanned, storagePlace });
export const returnForm = z.object({ code: scanned, reason: z.enum(RETURN_REASONS, { message: 'logistics.returns.badReason' }) });
export const countScanForm = z.object({ code: scanned });
export const destinationForm = z.object({ to: idSchema('logistics.request.unknownSite') });
export const siteQuery = z.object({ counterId: optionalIdSchema('logistics.request.unknownSite') });
