import type { SqlTx } from '../../db/transaction.js';

/** Header values never carry line breaks, whatever staff typed into a counter's name. */
export function headerSafe(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: string; // text content (e.g. an .ics file)
}

export interface OutgoingMail {
  /** One logical email, e.g. `booking:42:confirmation`: a second enqueue of the same key is ignored. */
  dedupeKey: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
  bookingId?: number;
  sendAfter?: Date;
}

/**
 * Writes an email to the outbox. Call it with the transaction of the change that causes the
 * email, so the email exists exactly when the change commits (nothing acknowledged is lost).
 * Returns false when an email with the same dedupeKey was already queued.
 */
export async function enqueueMail(tx: SqlTx, mail: OutgoingMail): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO outbox_messages (dedupe_key, kind, to_address, subject, text_body, html_body, attachments, booking_id, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [mail.dedupeKey, mail.kind, mail.to, mail.subject, mail.text, mail.html ?? null, JSON.stringify(mail.attachments ?? []), mail.bookingId ?? null, mail.sendAfter ?? new Date()],
  );
  return inserted.length === 1;
}
