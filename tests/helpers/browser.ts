// Real headless Chromium (Debian's package) driven by playwright-core, against the real app
// listening on a loopback port. Screenshots go to test-artifacts/ for people to look at.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, expect } from 'vitest';
import type { StaffRole } from '../../src/generated/prisma/client.js';
import { createTestApp, type TestApp } from './app.js';
import { createStaff } from './factories.js';

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 900 };
export const ARTIFACTS = path.resolve('test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  // playwright gives each launch a fresh temporary profile (no --user-data-dir needed).
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  afterAll(() => browser.close());
  return browser;
}

export async function serve(t: TestApp): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const listening = t.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The app on a fresh database, listening on loopback, and a browser to use it (both closed after the file). */
export async function appInBrowser(overrides?: Parameters<typeof createTestApp>[0]): Promise<{ t: TestApp; base: string; browser: Browser }> {
  const t = await createTestApp(overrides);
  return { t, base: await serve(t), browser: await launchBrowser() };
}

/**
 * A page that fails the test on any console error (CSP violations are reported there); `locale`
 * sets the browser's Accept-Language; a `deviceScaleFactor` of 2 is a 200 % zoomed browser.
 */
export async function openPage(
  browser: Browser,
  { deviceScaleFactor, ...viewport }: { width: number; height: number; deviceScaleFactor?: number } = DESKTOP,
  locale = 'ja-JP',
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor, locale, timezoneId: 'Asia/Tokyo' });
  context.setDefaultTimeout(60_000); // a shared 2-core CI machine runs two test files at once
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

/** A new staff user of `role`, logged in through the staff log-in form on a desktop page. */
export async function staffInBrowser(app: { t: TestApp; base: string; browser: Browser }, role: StaffRole = 'staff'): Promise<{ page: Page; problems: string[] }> {
  const { user, password } = await createStaff(app.t.db, { role });
  const opened = await openPage(app.browser, DESKTOP);
  await opened.page.goto(`${app.base}/staff/login`);
  await opened.page.fill('#loginId', user.loginId);
  await opened.page.fill('#password', password);
  await Promise.all([opened.page.waitForURL(`${app.base}/staff`), opened.page.click('button[type=submit]')]);
  return opened;
}

/** PDF points per millimetre of paper. */
export const PT_PER_MM = 72 / 25.4;

/** The page, printed as Chromium prints it (the page's own CSS paper size): each sheet's width and height in PDF points. */
export async function printedSheets(page: Page): Promise<{ width: number; height: number }[]> {
  const pdf = (await page.pdf({ preferCSSPageSize: true })).toString('latin1');
  return [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((match) => ({ width: Number(match[1]), height: Number(match[2]) }));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core with the WCAG 2.0, 2.1 and 2.2 A and AA rules; returns the violations (ids and targets). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource); // once per page load
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] });
    return result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  });
  return violations;
}

export async function expectAccessible(page: Page): Promise<void> {
  expect(await accessibilityViolations(page)).toEqual([]);
}

/**
 * A citizen page as it must be: axe-clean, no sideways scrolling at this width, no console
 * errors or failed requests so far (`problems` from openPage); its screenshot is kept.
 */
export async function checkPage(page: Page, problems: string[], name: string): Promise<void> {
  await expectAccessible(page);
  await screenshot(page, name);
  expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
  expect(problems).toEqual([]);
}
