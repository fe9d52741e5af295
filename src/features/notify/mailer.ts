// Hands one email to the SMTP server and says whether a failure is worth retrying.
import nodemailer, { type Transporter } from 'nodemailer';
import { headerSafe } from './outbox.js';
import type { MailAttachment } from './outbox.js';

export interface MailToSend {
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  attachments?: MailAttachment[];
  /** Message-ID header, so a receiver can spot a resend after a lost acknowledgement. */
  messageId?: string;
}

export type SendResult = { ok: true } | { ok: false; permanent: boolean; code: number | null; error: string };

export interface Mailer {
  send(mail: MailToSend): Promise<SendResult>;
  close(): void;
}

/** 5xx replies are permanent (bad address, refused); 4xx, timeouts and refused connections are not. */
export function classifySmtpError(error: unknown): { permanent: boolean; code: number | null; error: string } {
  const failure = error as { responseCode?: number; message?: string; code?: string };
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : null;
  const message = headerSafe(String(failure.message ?? error)).slice(0, 500);
  // nodemailer refuses an envelope with no valid recipient before talking to the server: permanent.
  const permanent = (code !== null && code >= 500) || failure.code === 'EENVELOPE';
  return { permanent, code, error: message };
}

/** One plain address and nothing else: no display name, list, comment or line break. */
const SINGLE_ADDRESS = /^[^\s@,;:<>()"[\]\\]+@[^\s@,;:<>()"[\]\\]+\.[^\s@,;:<>()"[\]\\]+$/;

export function isSingleAddress(value: string): boolean {
  return value.length <= 254 && SINGLE_ADDRESS.test(value);
}

export function createMailer(smtpUrl: string, from: string): Mailer {
  // A pooled transport keeps the connection open between mails: a new SMTP connection per mail
  // cost ~120 ms on loopback (bench/outbox.ts), a pooled one ~15 ms. The timeouts stay well
  // inside the sender's lease (OutboxWorker leaseSeconds), so a hung server never lets a second
  // process claim a mail that is still being sent.
  const transport: Transporter = nodemailer.createTransport(
    { url: smtpUrl, pool: true, maxConnections: 2, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 },
    { from },
  );
  const envelopeSender = from.match(/<([^>]+)>/)?.[1] ?? from;
  return {
    async send(mail) {
      // A recipient that is not exactly one address (e.g. "a@x Bcc: b@y" left by headerSafe) is
      // refused rather than handed to nodemailer's forgiving address parser.
      if (!isSingleAddress(mail.to)) return { ok: false, permanent: true, code: null, error: 'invalid recipient address' };
      try {
        await transport.sendMail({
          from,
          to: mail.to,
          envelope: { from: envelopeSender, to: [mail.to] },
          subject: headerSafe(mail.subject),
          text: mail.text,
          html: mail.html ?? undefined,
          messageId: mail.messageId,
          disableFileAccess: true,
          disableUrlAccess: true,
          attachments: (mail.attachments ?? []).map((attachment) => ({
            filename: headerSafe(attachment.filename),
            contentType: headerSafe(attachment.contentType),
            content: attachment.content,
          })),
        });
        return { ok: true };
      } catch (error) {
        return { ok: false, ...classifySmtpError(error) };
      }
    },
    close() {
      transport.close();
    },
  };
}
