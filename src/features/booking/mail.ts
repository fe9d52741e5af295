// The emails that belong to a booking: confirmation, change, cancellation and reminder. They
// are composed from the committed booking and written to the outbox in the same transaction.
import { runEndSql } from './runs.js';
import type { SqlTx } from '../../db/transaction.js';
import { dateFormats } from '../../lib/jst.js';
import { languageOf } from '../../lib/languages.js';
import { translator } from '../../lib/i18n.js';
import { visitCalendar } from '../notify/calendar.js';
import { enqueueMail, headerSafe, type MailAttachment } from '../notify/outbox.js';
import { OPEN_BOOKING_SQL } from '../../domain/booking-rules.js';
import { slotDeadline } from './counter-rules.js';
import { escapeHtml } from '../../lib/html.js';

export type BookingMailKind = 'confirmation' | 'change' | 'cancellation' | 'reminder';

/** Mails that tell the web deadline for changes: a reminder comes after it, a cancellation needs none. */
const TELLS_DEADLINE: BookingMailKind[] = ['confirmation', 'change'];

export interface BookingMailDetails {
  code: string;
  counterName: string;
  counterAddress: string;
  accessNotes: string;
  startsAt: Date;
  endsAt: Date;
  people: number;
  /** The procedure booked: its name and what to bring. */
  procedure: { name: string; documents: string[] };
  /** Last moment to change or cancel on the web (counted in the counter's opening days). */
  deadline?: Date;
  /** Calendar SEQUENCE: e.g. the booking's last update in epoch seconds. */
  revision?: number;
  /** Booked without a notice ID: the person finds the booking again through /apply, not the notice log-in. */
  applicant?: boolean;
}

/** What a group's mail says of its procedures: their names, and everything any of them asks to bring (once each). */
export function groupProcedure(procedures: { name: string; documents: string[] }[]): BookingMailDetails['procedure'] {
  return { name: [...new Set(procedures.map((procedure) => procedure.name))].join('、'), documents: [...new Set(procedures.flatMap((procedure) => procedure.documents))] };
}

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
}

/** A booking's mail in the language it was booked in (Japanese when not given). */
export function composeBookingMail(kind: BookingMailKind, details: BookingMailDetails, baseUrl: string, languageCode?: string): ComposedMail {
  const language = languageOf(languageCode);
  const t = translator(language.code);
  const dates = dateFormats(language.htmlLang);
  const when = dates.slot(details.startsAt, details.endsAt);
  const params = {
    code: details.code,
    procedure: details.procedure.name,
    when,
    counter: details.counterName,
    address: details.counterAddress,
    people: details.people,
    url: details.applicant ? `${baseUrl}/apply` : `${baseUrl}/login`,
  };
  const lines = [
    t(`mail.${kind}.lead`, params),
    '',
    `${t('mail.field.code')}: ${details.code}`,
    `${t('mail.field.procedure')}: ${details.procedure.name}`,
    `${t('mail.field.when')}: ${when}`,
    `${t('mail.field.counter')}: ${details.counterName}`,
    `${t('mail.field.address')}: ${details.counterAddress}`,
    ...(details.accessNotes ? [`${t('mail.field.access')}: ${details.accessNotes}`] : []),
    `${t('mail.field.people')}: ${t('mail.peopleCount', params)}`,
    ...(details.deadline && TELLS_DEADLINE.includes(kind) ? [`${t('mail.field.deadline')}: ${t('booking.deadline', { moment: dates.moment(details.deadline) })}`] : []),
  ];
  if (kind !== 'cancellation' && details.procedure.documents.length > 0) lines.push('', t('mail.bring.title'), ...details.procedure.documents.map((item) => `・${item}`));
  lines.push('', t(kind === 'cancellation' ? 'mail.rebook' : details.applicant ? 'mail.manageApplicant' : 'mail.manage', params), '', t('mail.footer'));
  const text = lines.join('\n');
  const html = `<!doctype html><html lang="${language.htmlLang}"><body><div style="font-family:sans-serif;line-height:1.7">${text
    .split('\n')
    .map((line) => (line === '' ? '<br>' : `<p style="margin:0">${escapeHtml(line)}</p>`))
    .join('')}</div></body></html>`;
  const attachments: MailAttachment[] =
    kind === 'confirmation' || kind === 'change'
      ? [
          {
            filename: 'booking.ics',
            contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
            content: visitCalendar({
              uid: `${details.code}@mynumber-card-booking`,
              title: details.procedure.name,
              location: `${details.counterName} ${details.counterAddress}`,
              description: `${t('mail.field.code')}: ${details.code}`,
              startsAt: details.startsAt,
              endsAt: details.endsAt,
              sequence: details.revision,
            }),
          },
        ]
      : [];
  return { subject: headerSafe(t(`mail.${kind}.subject`, params)), text, html, attachments };
}

/** The outbox dedupe key of one booking email: the same key twice is one email. */
export function bookingMailKey(code: string, kind: BookingMailKind, eventKey: string): string {
  return `booking:${code}:${kind}:${eventKey}`;
}

/**
 * Queues the email for a booking (and its family members booked with it) inside the caller's
 * transaction. `eventKey` makes each change or cancellation its own email; the same key twice
 * queues one email.
 */
const MAILED_BOOKING = `
  SELECT b.id, b.code, b.email, b.language, b.applicant_id IS NOT NULL AS applicant, b.updated_at AS "updatedAt", s.counter_id AS "counterId", s.starts_at AS "startsAt", ${runEndSql('b', 's')} AS "endsAt",
         c.name AS "counterName", c.address AS "counterAddress", c.access_notes AS "accessNotes",
         (SELECT json_agg(json_build_object('code', p.code, 'name', p.name, 'documents', p.documents) ORDER BY g.id)
            FROM bookings g JOIN procedures p ON p.code = g.procedure_code
           WHERE g.id = b.id OR (g.group_code = b.group_code AND g.status IN ${OPEN_BOOKING_SQL})) AS procedures,
         CASE WHEN b.group_code IS NULL THEN 1
              ELSE (SELECT count(*)::int FROM bookings g WHERE g.group_code = b.group_code AND g.status IN ${OPEN_BOOKING_SQL}) END AS people
  FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN counters c ON c.id = s.counter_id WHERE b.id = $1::int`;

/** Where and when a visit is, as its mails tell it. */
export interface VisitSlot {
  counterId: number;
  startsAt: Date;
  endsAt: Date;
  counterName: string;
  counterAddress: string;
  accessNotes: string;
}

interface MailedBooking extends VisitSlot {
  id: number;
  code: string;
  email: string | null;
  language: string;
  applicant: boolean;
  updatedAt: Date;
  people: number;
  procedures: (BookingMailDetails['procedure'] & { code: string })[];
}

export async function queueBookingMail(tx: SqlTx, options: { bookingId: number; kind: BookingMailKind; eventKey: string; baseUrl: string }): Promise<boolean> {
  const [booking] = await tx.query<MailedBooking>(MAILED_BOOKING, [options.bookingId]);
  if (!booking?.email) return false;
  const mail = composeBookingMail(
    options.kind,
    {
      code: booking.code,
      counterName: booking.counterName,
      counterAddress: booking.counterAddress,
      accessNotes: booking.accessNotes,
      startsAt: booking.startsAt,
      endsAt: booking.endsAt,
      people: Math.max(booking.people, 1),
      procedure: groupProcedure(booking.procedures),
      deadline: TELLS_DEADLINE.includes(options.kind)
        ? await slotDeadline(
            tx,
            booking,
            booking.procedures.map((procedure) => procedure.code),
          )
        : undefined,
      revision: Math.floor(booking.updatedAt.getTime() / 1000),
      applicant: booking.applicant,
    },
    options.baseUrl,
    booking.language,
  );
  return enqueueMail(tx, {
    dedupeKey: bookingMailKey(booking.code, options.kind, options.eventKey),
    kind: `booking.${options.kind}`,
    to: headerSafe(booking.email),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    attachments: mail.attachments,
    bookingId: booking.id,
  });
}
