// Issue 16 point 2, the automated half: every page a citizen can reach, in every citizen
// language, and every staff page, in a real browser. At each page: axe-core (WCAG 2.0, 2.1 and
// 2.2 A/AA) at 360 and 1366 px; and on citizen pages reflow (WCAG 1.4.10) at 320 px and at
// 200 % zoom (a 1280 px window is 640 CSS px), a visible focus on every element reached by Tab
// (2.4.7), and tap targets of at least 44x44 px at 360 px (2.5.5). Findings are collected per
// page so that one run lists them all. One browser; one context per language.
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CITIZEN_LANGUAGES } from '../../src/lib/languages.js';
import { addDays } from '../../src/lib/jst.js';
import type { TestApp } from '../helpers/app.js';
import { accessibilityViolations, appInBrowser, openPage } from '../helpers/browser.js';
import { pinClock, WORKING_WEDNESDAY } from '../helpers/clock.js';
import { createApplicant, createCardHolder, createCounter, createSlot, createStaff, createWeekdayRule } from '../helpers/factories.js';
import { routesOf } from '../helpers/routes.js';
import { logisticsFixture } from '../helpers/logistics.js';
import { callNext, issueWalkIn } from '../../src/features/floor/tickets.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { inTx } from '../helpers/tx.js';

const { now, today } = pinClock(WORKING_WEDNESDAY);
const day = addDays(today, 9);
const otherDay = addDays(today, 10);
const AXE_WIDTHS = [
  { width: 360, height: 740 },
  { width: 1366, height: 900 },
];
/** 320 px, and a 1280 px window at 200 % zoom: the page lays out in 640 CSS px (the context's deviceScaleFactor is 2). */
const REFLOW_WIDTHS = [
  { width: 320, height: 640 },
  { width: 640, height: 400 },
];
const PHONE = AXE_WIDTHS[0];

let t: TestApp;
let browser: Browser;
let base: string;
let counterId: number;
let counterCode: string;
/** A walk-in ticket waiting behind one called to window 2: the floor pages have something to show. */
let floorTicket: { id: number; token: string };
let fullSlotId: number;
let otherSlotId: number;

beforeAll(async () => {
  ({ t, base, browser } = await appInBrowser());
  const counter = await createCounter(t.db, { name: '市民課 交付センター', windows: 3 });
  counterId = counter.id;
  counterCode = counter.code;
  await t.db.prisma.procedure.create({ data: { code: 'application', name: 'マイナンバーカードの申請', needsNoticeId: false, documents: ['本人確認書類'] } });
  await t.db.prisma.counterProcedure.create({ data: { counterId, procedureCode: 'application' } });
  await t.db.prisma.faqEntry.create({
    data: { category: '予約について', question: '予約を変更できますか', answer: '前日まで変更できます。', published: true, updatedBy: 'staff:1' },
  });
  await createSlot(t.db, { counterId, date: day, startMinute: 9 * 60, capacity: 20 });
  fullSlotId = (await createSlot(t.db, { counterId, date: day, startMinute: 10 * 60, capacity: 1 })).id;
  await t.db.prisma.slot.update({ where: { id: fullSlotId }, data: { booked: 1 } });
  otherSlotId = (await createSlot(t.db, { counterId, date: otherDay, startMinute: 9 * 60, capacity: 20 })).id;
  await inTx(t.db, (tx) => issueWalkIn(tx, { counterId, procedureCode: 'pickup', by: TEST_CLERK }), STAFF_ACTOR);
  floorTicket = await inTx(t.db, (tx) => issueWalkIn(tx, { counterId, procedureCode: 'application', by: TEST_CLERK }), STAFF_ACTOR);
  await inTx(t.db, (tx) => callNext(tx, { counterId, window: 2, by: TEST_CLERK }), STAFF_ACTOR);
});

/** A context whose clock shows the pinned time, at 200 % zoom (layout is in CSS px whatever the zoom). */
async function zoomedPage(): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(browser, { ...PHONE, deviceScaleFactor: 2 });
  await opened.page.clock.setFixedTime(now);
  return opened;
}

/** Sideways scrolling, and text whose box ends right of the viewport (clipped or off screen). */
async function reflowProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    if (document.documentElement.scrollWidth > window.innerWidth) found.push(`scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    for (const element of document.body.querySelectorAll<HTMLElement>('*')) {
      const text = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent!.trim() !== '');
      if (!text || element.closest('.skip-link, .visually-hidden, [hidden]')) continue;
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > window.innerWidth + 0.5)
        found.push(`clipped: <${element.tagName.toLowerCase()}> "${element.textContent!.trim().slice(0, 30)}" ends at ${Math.round(box.right)}`);
    }
    return found;
  });
}

/**
 * Targets under 44x44 CSS px. Exempt (WCAG 2.5.8): a link inside running text, whose size the
 * line of text sets; and the skip link, which is off screen until focused.
 */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('a[href], button, summary, input:not([type=hidden]), select, textarea')]
      .filter((element) => element.getClientRects().length > 0 && !element.classList.contains('skip-link'))
      .filter((element) => {
        if (element.tagName !== 'A') return true;
        const around = (element.parentElement?.textContent ?? '').replace(element.textContent ?? '', '').trim();
        return around === ''; // a link alone in its block is a target, not words in a sentence
      })
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 44 || box.height < 44)
      .map(
        ({ element, box }) =>
          `<${element.tagName.toLowerCase()}> "${(element.textContent || element.getAttribute('name') || '').trim().slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`,
      ),
  );
}

/** Tabs through the page: each element reached must show an outline (>= 2 px) or a box shadow it does not show unfocused. */
async function invisibleFocus(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    const focusable = [...document.querySelectorAll<HTMLElement>('a[href], button, summary, input:not([type=hidden]), select, textarea, [tabindex="0"]')];
    focusable.forEach((element, index) => {
      const style = getComputedStyle(element);
      element.dataset.unfocused = [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join('|');
      element.dataset.tabIndex = String(index);
    });
    return focusable.length;
  });
  const found: string[] = [];
  const reached = new Set<string>(); // data-tab-index of each element reached
  for (let i = 0; i < count + 2; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body || element.dataset.unfocused === undefined) return null;
      const style = getComputedStyle(element);
      const now = [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join('|');
      const indicator = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none';
      const name = `<${element.tagName.toLowerCase()}> "${(element.textContent || element.id).trim().slice(0, 30)}"`;
      return { index: element.dataset.tabIndex!, shown: indicator && now !== element.dataset.unfocused, name };
    });
    if (focused === null || reached.has(focused.index)) break; // past the last element, or round again
    reached.add(focused.index);
    if (!focused.shown) found.push(`no visible focus: ${focused.name}`);
  }
  if (reached.size === 0) found.push('Tab reached nothing');
  return found;
}

type Findings = Record<'axe' | 'reflow' | 'focus' | 'targets', string[]>;
const emptyFindings = (): Findings => ({ axe: [], reflow: [], focus: [], targets: [] });

/** axe-core's violations on the page at 360 and at 1366 px. */
async function axeAtBothWidths(page: Page, name: string, found: string[]): Promise<void> {
  for (const viewport of AXE_WIDTHS) {
    await page.setViewportSize(viewport);
    for (const violation of await accessibilityViolations(page)) found.push(`${name} at ${viewport.width}: ${violation}`);
  }
}

/** Every check of a citizen page, at every width; the page is left at 360 px. */
async function checkCitizenPage(page: Page, name: string, findings: Findings, withFocus: boolean): Promise<void> {
  await axeAtBothWidths(page, name, findings.axe);
  for (const viewport of REFLOW_WIDTHS) {
    await page.setViewportSize(viewport);
    for (const problem of await reflowProblems(page)) findings.reflow.push(`${name} at ${viewport.width}: ${problem}`);
  }
  await page.setViewportSize(PHONE);
  for (const target of await smallTargets(page)) findings.targets.push(`${name}: ${target}`);
  if (withFocus) for (const problem of await invisibleFocus(page)) findings.focus.push(`${name}: ${problem}`);
}

const submit = (page: Page, action: string) => page.locator(`form[action="${action}"] button[type=submit]`).first().click();

/** The 6-digit code of the last verification mail sent to `email` (in any language). */
async function mailedCode(email: string): Promise<string> {
  const mail = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { toAddress: email, kind: 'email.verification' }, orderBy: { id: 'desc' } });
  return mail.textBody.match(/\b(\d{6})\b/)![1];
}

/** Walks every citizen page in `lang`, calling `visit` on each, as a newcomer, an applicant and a card holder. */
async function walkCitizenPages(page: Page, problems: string[], lang: string, visit: (name: string) => Promise<void>): Promise<void> {
  const arrive = async (name: string, url: RegExp | string) => {
    await page.waitForURL(url);
    await visit(name);
  };
  await page.goto(`${base}/?lang=${lang}`);
  await visit('start');
  await page.goto(`${base}/login`);
  await visit('login');
  await submit(page, '/login');
  await page.waitForSelector('#noticeId-error');
  await visit('login with errors');
  await page.goto(`${base}/status`);
  await visit('status');
  await page.goto(`${base}/faq?q=${encodeURIComponent('変更')}`);
  await visit('faq');
  await page.goto(`${base}/floor/${counterCode}`);
  await visit('floor waiting');
  await page.goto(`${base}/tickets/${floorTicket.token}`);
  await visit('floor ticket');
  await page.goto(`${base}/no-such-page`);
  await visit('404');
  await page.goto(`${base}/login`);
  await page.locator('input[name=_csrf]').evaluate((input: HTMLInputElement) => (input.value = 'stale'));
  await submit(page, '/login');
  await page.waitForSelector('form[action="/login"]', { state: 'detached' });
  await visit('error message (stale form)');

  const email = `a11y-${lang}@example.jp`;
  await page.goto(`${base}/apply`);
  await visit('apply');
  await page.goto(`${base}/apply/application`);
  await visit('apply email');
  await page.fill('#email', email);
  await page.fill('#emailAgain', email);
  await submit(page, '/apply/application');
  await arrive('apply code', /\/code$/);
  await page.fill('#code', await mailedCode(email));
  await submit(page, '/apply/application/code');
  await arrive('apply identity', /\/identity$/);
  await page.context().clearCookies();

  const person = await createCardHolder(t.db, { mmdd: '0315', counterId });
  await page.goto(`${base}/login?lang=${lang}`);
  await page.fill('#noticeId', person.noticeId);
  await page.fill('#birth', '0315');
  await submit(page, '/login');
  await arrive('counters', /\/booking\/counters$/);
  await page.goto(`${base}/booking/counters/${counterId}?month=${day.slice(0, 7)}`);
  await visit('calendar');
  await page.goto(`${base}/booking/counters/${counterId}/days/${day}`);
  await visit('day');
  await page.evaluate((slotId) => {
    const form = document.querySelector<HTMLFormElement>('form[action="/booking/hold"]')!;
    form.querySelector<HTMLInputElement>('input[name=slotId]')!.value = String(slotId);
    form.submit();
  }, fullSlotId);
  await arrive('refused', /\/booking\/refused/);
  await page.goto(`${base}/booking/counters/${counterId}/days/${day}`);
  await submit(page, '/booking/hold');
  await arrive('confirm', /\/booking\/confirm/);
  await page.fill('#email', 'me@example.jp');
  await page.fill('#emailAgain', 'other@example.jp');
  await submit(page, '/booking/confirm');
  await page.waitForSelector('#emailAgain-error');
  problems.length = 0; // the browser logs the form's 400 answer, as intended
  for (const summary of await page.locator('details.family summary').all()) await summary.click(); // their fields are checked too
  await visit('confirm with errors');
  await page.fill('#emailAgain', 'me@example.jp');
  await submit(page, '/booking/confirm');
  await page.waitForSelector('form[action="/booking/complete"]');
  await visit('review');
  await submit(page, '/booking/complete');
  await arrive('booked', /done=booked/);
  await page.fill('#familyId1', '1234');
  await page.fill('#familyBirth1', '0101');
  await submit(page, '/booking/family/add');
  await page.waitForSelector('#family-error');
  problems.length = 0;
  await visit('family add refused');
  await page.goto(`${base}/booking/move?slotId=${otherSlotId}`);
  await visit('change');
  await page.goto(`${base}/booking/cancel`);
  await visit('cancel');
  await page.goto(`${base}/booking`);
  await submit(page, '/logout');
  await arrive('logged out', /loggedOut/);

  const collected = await createCardHolder(t.db, { mmdd: '0315', counterId, status: 'handed_over' });
  await page.fill('#noticeId', collected.noticeId);
  await page.fill('#birth', '0315');
  await submit(page, '/login');
  await page.waitForURL(/\/booking$/);
  await visit('blocked (card already handed over)');
}

// The languages at the same time: the browser renders one while the app answers another.
describe('citizen pages', { concurrent: true }, () => {
  it.for(CITIZEN_LANGUAGES.map((language) => language.code))(
    'When a citizen reading %s walks every page, then axe finds nothing at 360 and 1366 px, nothing reflows badly at 320 px or 200 % zoom, focus is visible and targets are 44x44 px',
    { timeout: 120_000 },
    async (lang, { expect }) => {
      const { page, problems } = await zoomedPage();
      const findings = emptyFindings();
      const visited: string[] = [];
      const htmlLang = CITIZEN_LANGUAGES.find((language) => language.code === lang)!.htmlLang;
      await walkCitizenPages(page, problems, lang, async (name) => {
        visited.push(`${name}: ${await page.evaluate(() => document.documentElement.lang)}`); // each page is in the language walked
        if (name === '404' || name.startsWith('error')) problems.length = 0; // the browser logs the 404 and 403 answers, as intended
        await checkCitizenPage(page, name, findings, lang === 'ja'); // focus styles do not depend on the language
      });
      expect(visited.filter((entry) => entry.endsWith(`: ${htmlLang}`))).toHaveLength(26);
      expect(problems).toEqual([]);
      expect.soft(findings.axe).toEqual([]);
      expect.soft(findings.reflow).toEqual([]);
      expect.soft(findings.focus).toEqual([]);
      expect.soft(findings.targets).toEqual([]);
      await page.context().close();
    },
  );
});

/** Staff pages: GET routes that answer a page (not a file, JSON, a manual's picture, the rule form's preview fragment, or log-out). */
const isStaffPage = (path: string) => path.startsWith('/staff') && !/\.(csv|json|ics)$|\/progress$|\/preview$|\/logout$|\/login$|\/help\/images\//.test(path);

describe('staff pages', () => {
  it('When a staff member opens every staff page, then axe finds nothing at 360 and 1366 px', async () => {
    const { user, password } = await createStaff(t.db, { role: 'admin' });
    const target = await createStaff(t.db, { role: 'staff' });
    const { holder } = await createCardHolder(t.db, { counterId });
    const rule = await createWeekdayRule(t.db, counterId, 2);
    const applicant = await createApplicant(t.db);
    const profile = await t.db.prisma.importProfile.findFirstOrThrow();
    const procedure = await t.db.prisma.procedure.findUniqueOrThrow({ where: { code: 'application' } });
    const notice = await t.db.prisma.statusNotice.create({ data: { kind: 'maintenance', title: '点検', startsAt: now, createdBy: user.loginId } });
    const mail = await t.db.prisma.outboxMessage.create({
      data: { dedupeKey: 'a11y', kind: 'booking.confirmation', toAddress: 'a@example.jp', subject: '予約', textBody: '本文' },
    });
    const batch = await t.db.prisma.importBatch.create({
      data: { storageKey: 'a11y', fileName: 'cards.csv', sha256: '0', sizeBytes: 0, profileId: profile.id, uploadedBy: user.loginId },
    });
    const logistics = await logisticsFixture(t.db, counterId);
    const alert = await t.db.prisma.alert.create({ data: { kind: 'job_failed', subjectKey: 'a11y', summary: '夜間処理の失敗' } });
    const incident = await t.db.prisma.incident.create({
      data: {
        kind: 'counter',
        counterId,
        title: '発券機の故障',
        startedAt: now,
        recordedBy: `staff:${user.id}`,
        alerts: { create: { alertId: alert.id, linkedBy: `staff:${user.id}` } },
      },
    });
    const inquiry = await t.db.prisma.inquiry.create({
      data: { receivedAt: now, channel: 'phone', categoryCode: 'complaint', body: '待ち時間が長い', cardHolderId: holder.id, counterId, handledBy: `staff:${user.id}` },
    });
    const faq = await t.db.prisma.faqEntry.create({
      data: { category: '予約について', question: '変更できますか', answer: '前日まで変更できます。', published: true, updatedBy: `staff:${user.id}` },
    });
    const ids: [RegExp, number | string][] = [
      [/^\/staff\/incidents\//, incident.id],
      [/^\/staff\/users\//, target.user.id],
      [/^\/staff\/logistics\/sites\//, counterId],
      [/^\/staff\/logistics\/shipments\//, logistics.shipmentId],
      [/^\/staff\/logistics\/counts\//, logistics.countId],
      [/^\/staff\/cards\/profiles\//, profile.id],
      [/^\/staff\/cards\/imports\//, batch.id],
      [/^\/staff\/(schedule|console|floor)\/counters\//, counterId],
      [/^\/staff\/floor\/tickets\//, floorTicket.id],
      [/^\/staff\/(cards|console\/holders)\//, holder.id],
      [/^\/staff\/console\/applicants\//, applicant.id],
      [/^\/staff\/schedule\/procedures\//, procedure.id],
      [/^\/staff\/status\//, notice.id],
      [/^\/staff\/inquiries\//, inquiry.id],
      [/^\/staff\/faq\//, faq.id],
      [/^\/staff\/mail\//, String(mail.id)],
      [/^\/staff\/help\//, 'staff-manual'],
    ];
    const fill = (path: string) =>
      path.replace(/:(\w+)/g, (_match, name: string) => (name === 'ruleId' ? String(rule.id) : name === 'date' ? day : String(ids.find(([pattern]) => pattern.test(path))![1])));
    const pages = routesOf(t.app)
      .filter((route) => route.method === 'GET' && isStaffPage(route.path))
      .map((route) => fill(route.path));
    expect(pages.length).toBeGreaterThan(40);

    const { page, problems } = await openPage(browser, PHONE);
    const findings: string[] = [];
    await page.goto(`${base}/staff/login`);
    await axeAtBothWidths(page, '/staff/login', findings);
    await page.fill('#loginId', user.loginId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/staff`), page.click('button[type=submit]')]);
    const notFound: string[] = [];
    for (const path of pages) {
      const answer = await page.goto(base + path);
      if (answer?.status() !== 200) notFound.push(`${path}: ${answer?.status()}`);
      await axeAtBothWidths(page, path, findings);
    }
    await page.goto(`${base}/floor/${counterCode}/display`); // the call display, on a monitor
    await axeAtBothWidths(page, 'call display', findings);
    expect.soft(notFound).toEqual([]);
    expect.soft(problems).toEqual([]);
    expect.soft(findings).toEqual([]);
    await page.context().close();
  }, 120_000);
});
