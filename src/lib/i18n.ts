// The one translation function for user-facing text. Japanese is the default; another
// language is added by dropping locales/<code>.json beside ja.json (missing keys fall back to ja).
// Feature folders may keep their texts in locales/<code>.<feature>.json, merged into <code>.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../db/paths.js';

export type Messages = Record<string, string>;
export type Translate = (key: string, params?: Record<string, string | number>) => string;

export const DEFAULT_LOCALE = 'ja';

export function loadLocales(dir = path.join(projectRoot, 'locales')): Map<string, Messages> {
  const locales = new Map<string, Messages>();
  if (!existsSync(dir)) return locales;
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const locale = file.split('.')[0];
    const messages = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Messages;
    locales.set(locale, { ...locales.get(locale), ...messages });
  }
  return locales;
}

export function createTranslator(locales: Map<string, Messages>, locale: string): Translate {
  const messages = locales.get(locale) ?? {};
  const fallback = locales.get(DEFAULT_LOCALE) ?? {};
  return (key, params = {}) => {
    const template = messages[key] ?? fallback[key] ?? key;
    if (!template.includes('{')) return template;
    return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
  };
}

const defaultLocales = loadLocales();

/** Translator for code outside a request (emails, jobs, CLI). */
export function translator(locale = DEFAULT_LOCALE): Translate {
  return createTranslator(defaultLocales, locale);
}

export function availableLocales(): string[] {
  return [...defaultLocales.keys()];
}
