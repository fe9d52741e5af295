// The public accessibility page (issue 16.2, 試験結果表示): the policy, and for each group of
// WCAG 2.2 AA criteria how it is tested and the result. Each row's claim is backed by a test of
// the suite, named here, so the page cannot claim a test that does not exist.
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTranslator, loadLocales } from '../../src/lib/i18n.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Where each group's check lives: a test file and words that show the check is there. */
const TESTED_BY: Record<string, [file: string, evidence: string]> = {
  nonText: ['tests/helpers/browser.ts', "'wcag22aa'"], // the axe run of tests/e2e/accessibility.test.ts on every page
  contrast: ['tests/e2e/accessibility.test.ts', 'axe finds nothing at 360 and 1366 px'],
  reflow: ['tests/e2e/accessibility.test.ts', 'nothing reflows badly at 320 px or 200 % zoom'],
  keyboard: ['tests/e2e/citizen-booking.test.ts', "describe('keyboard only'"],
  focus: ['tests/e2e/accessibility.test.ts', 'focus is visible'],
  timing: ['tests/e2e/citizen-booking.test.ts', 'session time-out warning (WCAG 2.2.1)'],
  bypass: ['tests/e2e/foundation.test.ts', 'skip link'],
  target: ['tests/e2e/accessibility.test.ts', 'targets are 44x44 px'],
  language: ['tests/citizen/languages.test.ts', '<html lang='],
  errors: ['tests/e2e/citizen-form-errors.test.ts', 'aria-describedby'],
  status: ['tests/e2e/citizen-booking.test.ts', "getByRole('status')"],
};

const locales = loadLocales();
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe('the accessibility page', () => {
  it('When anyone opens it, then it states the target (JIS X 8341-3 AA, WCAG 2.2 AA) and each group of criteria with how it is tested and its result', async () => {
    const page = await request(t.app).get('/accessibility');
    expect(page.status).toBe(200);
    expect(page.text).toContain('JIS X 8341-3:2016');
    const rows = [...page.text.matchAll(/<tr><th scope="row">([^<]+)<\/th><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g)];
    expect(rows.map((row) => row[1].slice(0, 5))).toEqual(['1.1.1', '1.4.3', '1.4.4', '2.1.1', '2.4.7', '2.2.1', '2.4.1', '2.5.8', '3.1.1', '3.3.1', '4.1.3']);
    expect(rows.every((row) => row[3] === '適合')).toBe(true);
    expect(page.text).toContain('0120-000-000');
  });

  it('When it is read in English, then it is in English', async () => {
    const english = createTranslator(locales, 'en');
    const page = await request(t.app).get('/accessibility?lang=en');
    expect(page.text).toContain(`<h1>${english('citizen.accessibility.title')}</h1>`);
    expect(page.text).toContain('1.1.1 Non-text Content');
  });

  it('When a citizen page is shown, then its footer links the accessibility page', async () => {
    for (const path of ['/', '/login', '/status']) expect((await request(t.app).get(path)).text, path).toContain('<a href="/accessibility">');
  });

  it('When the page claims a group is tested, then the suite has that test', async () => {
    for (const [group, [file, evidence]] of Object.entries(TESTED_BY)) expect(await readFile(file, 'utf8'), `${group}: ${file}`).toContain(evidence);
    const { ACCESSIBILITY_CRITERIA } = await import('../../src/features/citizen/routes.js');
    expect(Object.keys(TESTED_BY).sort()).toEqual([...ACCESSIBILITY_CRITERIA].sort());
  });
});
