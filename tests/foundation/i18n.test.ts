import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTranslator, loadLocales, translator } from '../../src/lib/i18n.js';
import { BOOKING_ERROR_CODES, BookingError } from '../../src/features/booking/errors.js';

describe('translation', () => {
  it('When no language is chosen, then text is Japanese', () => {
    expect(translator()('staff.login.title')).toBe('職員ログイン');
  });

  it('When a language file is added, then its text is used and missing keys fall back to Japanese', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'locales-'));
    await writeFile(path.join(dir, 'ja.json'), JSON.stringify({ hello: 'こんにちは {name} さん', only: '日本語のみ' }));
    await writeFile(path.join(dir, 'en.json'), JSON.stringify({ hello: 'Hello {name}' }));
    await writeFile(path.join(dir, 'ja.feature.json'), JSON.stringify({ feature: '機能の文言' }));
    const locales = loadLocales(dir);
    const english = createTranslator(locales, 'en');
    expect(english('hello', { name: 'Ann' })).toBe('Hello Ann');
    expect(english('only')).toBe('日本語のみ');
    expect(createTranslator(locales, 'ja')('hello', { name: '花子' })).toBe('こんにちは 花子 さん');
    expect(createTranslator(locales, 'ja')('feature')).toBe('機能の文言');
  });

  it('Every message key used in views and source exists in ja.json', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const ja = loadLocales().get('ja')!;
    const files = [
      ...(await readdir('views', { recursive: true })).filter((f) => f.endsWith('.ejs')).map((f) => path.join('views', f)),
      ...(await readdir('src', { recursive: true })).filter((f) => f.endsWith('.ts') && !f.startsWith('generated')).map((f) => path.join('src', f)),
    ];
    const missing: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]*[a-zA-Z0-9_])'\s*[,)]/g)) if (!(match[1] in ja)) missing.push(`${file}: ${match[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('When the booking commands refuse, then every refusal has a Japanese message (no code is ever shown)', () => {
    const t = translator();
    for (const code of BOOKING_ERROR_CODES) {
      const message = t(new BookingError(code).messageKey);
      expect(message, code).not.toContain('booking.error');
      expect(message, code).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    }
  });
});
