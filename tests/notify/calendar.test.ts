// The visit's .ics, written by hand (RFC 5545): escaped text, 75-octet lines, CRLF.
import { describe, expect, it } from 'vitest';
import { visitCalendar } from '../../src/features/notify/calendar.js';

const visit = {
  uid: 'ABCD2345@mynumber-card-booking',
  title: 'マイナンバーカードの受け取り',
  location: '中央区役所 1階, 中央区本町1-1-1; 窓口\\A',
  description: '予約番号: ABCD2345\n持ち物: 交付通知書',
  startsAt: new Date('2027-01-20T01:00:00Z'),
  endsAt: new Date('2027-01-20T01:15:00Z'),
};

/** The calendar's logical lines: continuation lines joined back (RFC 5545 3.1). */
const unfolded = (ics: string) => ics.replace(/\r\n /g, '').split('\r\n');

describe('visit calendar', () => {
  it('When a visit is written, then its times are UTC, its text is escaped and every line ends with CRLF', () => {
    const ics = visitCalendar({ ...visit, sequence: 2 });
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(ics.endsWith('END:VEVENT\r\nEND:VCALENDAR\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = unfolded(ics);
    expect(lines).toContain('UID:ABCD2345@mynumber-card-booking');
    expect(lines).toContain('DTSTART:20270120T010000Z');
    expect(lines).toContain('DTEND:20270120T011500Z');
    expect(lines).toContain('SEQUENCE:2');
    expect(lines).toContain('LOCATION:中央区役所 1階\\, 中央区本町1-1-1\\; 窓口\\\\A');
    expect(lines).toContain('DESCRIPTION:予約番号: ABCD2345\\n持ち物: 交付通知書');
    expect(lines.find((line) => line.startsWith('DTSTAMP:'))).toMatch(/^DTSTAMP:\d{8}T\d{6}Z$/);
    expect(visitCalendar(visit)).not.toContain('SEQUENCE');
  });

  it('When a line is longer than 75 octets, then it is folded between characters and unfolds to the same text', () => {
    const title = 'マイナンバーカードの受け取り(中央区役所 市民課 交付センター 第二窓口 夜間延長受付)';
    const ics = visitCalendar({ ...visit, title });
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(ics.split('\r\n').filter((line) => line.startsWith(' ')).length).toBeGreaterThan(0);
    expect(unfolded(ics)).toContain(`SUMMARY:${title}`);
  });
});
