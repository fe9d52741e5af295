// The languages citizens can read the site, its mails and calendar files in (issue 16). Staff
// screens stay Japanese. Each language is named in its own script in the switch on every
// citizen page. `code` names the locale files (locales/<code>.*.json); `htmlLang` is the page's
// lang attribute and the tag dates are formatted with.
export interface CitizenLanguage {
  code: string;
  htmlLang: string;
  name: string;
}

export const CITIZEN_LANGUAGES: readonly CitizenLanguage[] = [
  { code: 'ja', htmlLang: 'ja', name: '日本語' },
  { code: 'ja-easy', htmlLang: 'ja', name: 'やさしい にほんご' },
  { code: 'en', htmlLang: 'en', name: 'English' },
  { code: 'zh-Hans', htmlLang: 'zh-Hans', name: '简体中文' },
  { code: 'zh-Hant', htmlLang: 'zh-Hant', name: '繁體中文' },
  { code: 'ko', htmlLang: 'ko', name: '한국어' },
];

export const languageOf = (code: string | null | undefined): CitizenLanguage => CITIZEN_LANGUAGES.find((language) => language.code === code) ?? CITIZEN_LANGUAGES[0];

/** Keys citizens see (pages, mails, calendar files): every citizen language has each of them. */
const CITIZEN_KEYS = /^(app\.name$|citizen\.|error\.|validation\.|nav\.|lang\.|booking\.|mail\.|floor\.public\.|status\.(?!field\.|form\.|menu$))/;
export const isCitizenKey = (key: string): boolean => CITIZEN_KEYS.test(key);
