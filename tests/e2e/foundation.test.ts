import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp } from '../helpers/app.js';
import { DESKTOP, PHONE, expectAccessible, launchBrowser, openPage, screenshot, serve } from '../helpers/browser.js';

let browser: Browser;
let base: string;
beforeAll(async () => {
  base = await serve(await createTestApp());
  browser = await launchBrowser();
});

describe('pages in a real browser', () => {
  it.each([
    ['citizen-start-phone', '/', PHONE],
    ['citizen-start-desktop', '/', DESKTOP],
    ['staff-login-desktop', '/staff/login', DESKTOP],
  ])('When %s is opened, then it renders with its own styles, no CSP or script errors, and no axe violations', async (name, path, viewport) => {
    const { page, problems } = await openPage(browser, viewport);
    const response = await page.goto(base + path);
    expect(response?.status()).toBe(200);
    const background = await page.evaluate(() => getComputedStyle(document.querySelector('header')!).backgroundColor);
    expect(background).not.toBe('rgba(0, 0, 0, 0)'); // the self-hosted stylesheet applied
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(overflow).toBe(false); // nothing wider than a 360 px phone
    await expectAccessible(page);
    await screenshot(page, name);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When the skip link is used from the keyboard, then focus moves to the main content', async () => {
    const { page } = await openPage(browser, PHONE);
    await page.goto(base + '/');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('本文へ移動');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.context().close();
  });
});
