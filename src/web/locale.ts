// The language of each response. Staff screens are Japanese. A citizen page is in the language
// chosen with the switch on every page (`?lang=en`), kept in the `lang` cookie; before any
// choice, the best match of the browser's Accept-Language; otherwise Japanese.
import type { Request, RequestHandler, Response } from 'express';
import { DEFAULT_LOCALE, createTranslator, type Messages, type Translate } from '../lib/i18n.js';
import { dateFormats } from '../lib/jst.js';
import { CITIZEN_LANGUAGES, languageOf, type CitizenLanguage } from '../lib/languages.js';
import { readCookie } from './cookie-session.js';
import { STAFF_PATH } from './sessions.js';

const COOKIE = 'lang';
const A_YEAR_SECONDS = 365 * 24 * 3600;

function useLanguage(res: Response, language: CitizenLanguage, t: Translate): void {
  res.locals.lang = language.code;
  res.locals.htmlLang = language.htmlLang;
  res.locals.t = t;
  res.locals.dates = dateFormats(language.htmlLang);
}

/** Japanese for every response, even one that fails before the language is known. */
export function defaultLocale(locales: Map<string, Messages>): RequestHandler {
  const t = createTranslator(locales, DEFAULT_LOCALE);
  return (_req, res, next) => {
    useLanguage(res, languageOf(DEFAULT_LOCALE), t);
    next();
  };
}

/** Accept-Language's tags by preference, each mapped to a citizen language (Chinese by script or region). */
export function languageFromHeader(header: string | undefined): CitizenLanguage | undefined {
  const wanted = (header ?? '')
    .split(',')
    .map((part, order) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = Number(
        params
          .find((param) => param.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { tag, q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { tag } of wanted) {
    const [primary] = tag.split('-');
    if (primary === 'zh') return languageOf(/-(hant|tw|hk|mo)(-|$)/.test(tag) ? 'zh-Hant' : 'zh-Hans');
    const match = CITIZEN_LANGUAGES.find((language) => language.code === primary);
    if (match) return match;
  }
  return undefined;
}

/** The switch's links: this page in each language (the `lang` parameter replaced, the rest kept). */
function switchLinks(req: Request) {
  let url: URL;
  try {
    url = new URL(req.originalUrl, 'http://localhost'); // only its path and query are used
  } catch {
    url = new URL('/', 'http://localhost');
  }
  return CITIZEN_LANGUAGES.map((language) => {
    url.searchParams.set('lang', language.code);
    return { ...language, href: `${url.pathname}?${url.searchParams.toString()}` };
  });
}

export function localeMiddleware(locales: Map<string, Messages>, options: { secure: boolean }): RequestHandler {
  // One translator per language for the process, not one per request.
  const translators = new Map(CITIZEN_LANGUAGES.map((language) => [language.code, createTranslator(locales, language.code)]));
  const japanese = languageOf(DEFAULT_LOCALE);
  return (req, res, next) => {
    if (STAFF_PATH.test(req.path)) return next(); // Japanese, from defaultLocale
    const asked = typeof req.query.lang === 'string' ? CITIZEN_LANGUAGES.find((language) => language.code === req.query.lang) : undefined;
    if (asked) res.cookie(COOKIE, asked.code, { maxAge: A_YEAR_SECONDS * 1000, path: '/', sameSite: 'lax', httpOnly: true, secure: options.secure });
    const kept = CITIZEN_LANGUAGES.find((language) => language.code === readCookie(req.headers.cookie, COOKIE));
    const language = asked ?? kept ?? languageFromHeader(req.headers['accept-language']) ?? japanese;
    if (!asked && !kept) res.vary('Accept-Language');
    useLanguage(res, language, translators.get(language.code)!);
    // Made only when a page shows the switch, not for every redirect or JSON answer.
    res.locals.languageLinks = () => switchLinks(req);
    next();
  };
}
