// The visit as an iCalendar file (RFC 5545), written directly: every confirmation and change
// mail carries one, and building it through the `ics` package (which validates every event with
// yup) made a booking mail cost 0.20 ms of CPU instead of 0.04 ms (2,000 mails, 2026-12-02).
import { now } from '../../lib/clock.js';

export interface CalendarVisit {
  uid: string;
  title: string;
  location: string;
  description: string;
  startsAt: Date;
  endsAt: Date;
  /** Grows with every change of the visit, so calendars replace the event (same uid) instead of keeping the old one. */
  sequence?: number;
}

const PRODUCT_ID = 'mynumber-card-booking';
const MAX_LINE_OCTETS = 75;

/** 20270120T010000Z */
const utcStamp = (at: Date) =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** A TEXT value: backslash, semicolon, comma and line breaks escaped. */
const text = (value: string) => value.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');

/** Lines longer than 75 octets go on in continuation lines starting with a space, never inside a character. */
function folded(line: string): string {
  if (Buffer.byteLength(line) <= MAX_LINE_OCTETS) return line;
  const parts: string[] = [];
  let part = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    if (octets + size > (parts.length === 0 ? MAX_LINE_OCTETS : MAX_LINE_OCTETS - 1)) {
      parts.push(part);
      part = '';
      octets = 0;
    }
    part += char;
    octets += size;
  }
  parts.push(part);
  return parts.join('\r\n ');
}

/** An .ics file (UTC times, so every calendar shows the right Japan time). */
export function visitCalendar(visit: CalendarVisit): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    `PRODID:${PRODUCT_ID}`,
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${text(visit.uid)}`,
    `SUMMARY:${text(visit.title)}`,
    `DTSTAMP:${utcStamp(now())}`,
    `DTSTART:${utcStamp(visit.startsAt)}`,
    `DTEND:${utcStamp(visit.endsAt)}`,
    ...(visit.sequence === undefined ? [] : [`SEQUENCE:${visit.sequence}`]),
    `DESCRIPTION:${text(visit.description)}`,
    `LOCATION:${text(visit.location)}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(folded).join('\r\n') + '\r\n';
}
