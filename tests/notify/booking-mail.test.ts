import { describe, expect, it } from 'vitest';
import { composeBookingMail } from '../../src/features/booking/mail.js';
import { headerSafe } from '../../src/features/notify/outbox.js';

const details = {
  code: 'K7M2Q9',
  counterName: '北区役所 市民課',
  counterAddress: '北区北町2-3-4',
  accessNotes: 'バス「北区役所前」下車',
  startsAt: new Date('2026-12-01T00:30:00Z'), // 9:30 JST
  endsAt: new Date('2026-12-01T01:00:00Z'),
  people: 2,
  procedure: { name: 'マイナンバーカードの受け取り', documents: ['交付通知書(はがき)', '本人確認書類(運転免許証、パスポートなど)'] },
};

describe('booking emails', () => {
  it('When a booking is confirmed, then the mail names the code, the procedure, counter, address, Japan date and time, what to bring, a link, and carries an .ics', () => {
    const mail = composeBookingMail('confirmation', details, 'https://yoyaku.example.lg.jp');
    expect(mail.subject).toBe('【予約完了】マイナンバーカード交付予約 2026年12月1日(火) 9:30〜10:00');
    for (const part of [
      'K7M2Q9',
      '手続き: マイナンバーカードの受け取り',
      '北区役所 市民課',
      '北区北町2-3-4',
      '2026年12月1日(火) 9:30〜10:00',
      '交付通知書',
      '本人確認書類',
      'https://yoyaku.example.lg.jp/login',
      '2人',
    ]) {
      expect(mail.text).toContain(part);
    }
    expect(mail.attachments[0].filename).toBe('booking.ics');
    expect(mail.attachments[0].content).toContain('DTSTART:20261201T003000Z');
    expect(mail.html).toContain('K7M2Q9');
  });

  it('When a counter name carries HTML, then the HTML mail shows it as text', () => {
    const mail = composeBookingMail('confirmation', { ...details, counterName: '<script>alert(1)</script>' }, 'http://x');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&#60;script&#62;');
  });

  it('When a value meant for a header carries CR/LF, then the line breaks are removed', () => {
    expect(headerSafe('a@example.jp\r\nBcc: victim@example.jp')).toBe('a@example.jp Bcc: victim@example.jp');
    const mail = composeBookingMail('confirmation', { ...details, counterName: '窓口\r\nBcc: x@y' }, 'http://x');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('When a booking is cancelled, then no calendar file is attached', () => {
    expect(composeBookingMail('cancellation', details, 'http://x').attachments).toEqual([]);
  });
});
