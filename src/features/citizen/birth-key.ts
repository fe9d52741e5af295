import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** What a birth key is: the HMAC of birthKeyMessage under the pepper, written thus (the import's key thread makes the same). */
export const BIRTH_KEY_HMAC = { algorithm: 'sha256', encoding: 'base64url' } as const;
export const birthKeyMessage = (noticeId: string, mmdd: string) => `${noticeId}:${mmdd}`;

/**
 * The citizen's password is their birth month and day. Only an HMAC keyed with a pepper from
 * configuration is stored, bound to the notice ID, so a copied database alone reveals nothing.
 */
export function birthKey(pepper: string, noticeId: string, mmdd: string): string {
  return createHmac(BIRTH_KEY_HMAC.algorithm, pepperKey(pepper)).update(birthKeyMessage(noticeId, mmdd)).digest(BIRTH_KEY_HMAC.encoding);
}

// The pepper as a key, made once: an import computes 100,000 keys, and with the pepper given as a
// string each HMAC converts it again (about 15 % of its time).
let lastKey: { pepper: string; key: KeyObject } | undefined;
function pepperKey(pepper: string): KeyObject {
  if (lastKey?.pepper !== pepper) lastKey = { pepper, key: createSecretKey(Buffer.from(pepper, 'utf8')) };
  return lastKey.key;
}

export function birthKeyMatches(pepper: string, noticeId: string, mmdd: string, stored: string): boolean {
  const expected = Buffer.from(birthKey(pepper, noticeId, mmdd));
  const actual = Buffer.from(stored);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** True for a real calendar month/day (0229 included: leap-year births exist). */
export function isValidMonthDay(mmdd: string): boolean {
  if (!/^\d{4}$/.test(mmdd)) return false;
  const month = Number(mmdd.slice(0, 2));
  const day = Number(mmdd.slice(2));
  const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth[month - 1];
}
