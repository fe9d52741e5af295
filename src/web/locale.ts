import type { RequestHandler } from 'express';
import { DEFAULT_LOCALE, createTranslator, type Messages } from '../lib/i18n.js';

/** Japanese `t` and `lang` for every response, even one that fails before sessions load. */
export function defaultLocale(locales: Map<string, Messages>): RequestHandler {
  const t = createTranslator(locales, DEFAULT_LOCALE);
  return (_req, res, next) => {
    res.locals.lang = DEFAULT_LOCALE;
    res.locals.t = t;
    next();
  };
}

/** The session's language. `?lang=xx` switches language when locales/xx.json exists. */
export function localeMiddleware(locales: Map<string, Messages>): RequestHandler {
  // One translator per language for the process, not one per request.
  const translators = new Map([...locales.keys()].map((locale) => [locale, createTranslator(locales, locale)]));
  const japanese = createTranslator(locales, DEFAULT_LOCALE);
  return (req, res, next) => {
    const requested = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    if (requested && locales.has(requested) && req.session) req.session.locale = requested;
    const locale = req.session?.locale && locales.has(req.session.locale) ? req.session.locale : DEFAULT_LOCALE;
    res.locals.lang = locale;
    res.locals.t = translators.get(locale) ?? japanese;
    next();
  };
}
