// The citizen's session cookie as a test sees it: opened and sealed again with the test secret,
// to age it or to tamper with it the way an attacker or a copied cookie would.
import { citizenCookieName, sealer } from '../../src/web/cookie-session.js';
import { TEST_SECRETS } from '../helpers/app.js';

export const CITIZEN_COOKIE = citizenCookieName(false);
const { seal, open } = sealer(TEST_SECRETS.sessionSecret, CITIZEN_COOKIE);

/** The citizen cookie's value that a response sets ('' when it clears it), or undefined. */
export function citizenCookieOf(response: { headers: Record<string, unknown> }): string | undefined {
  const set = ((response.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith(`${CITIZEN_COOKIE}=`));
  return set?.split(';')[0].slice(CITIZEN_COOKIE.length + 1);
}

export interface CitizenPayload {
  born: number;
  data: { citizen?: { cardHolderId: number; generation: number; loginAt: number; lastSeenAt: number } } & Record<string, unknown>;
}

export function openCitizenCookie(value: string): CitizenPayload | null {
  return open(value) as CitizenPayload | null;
}

/** The same cookie, changed by `change` and sealed again with the app's key. */
export function resealed(value: string, change: (payload: CitizenPayload) => void): string {
  const payload = openCitizenCookie(value);
  if (!payload) throw new Error('not a citizen cookie of this app');
  change(payload);
  return seal(payload.born, JSON.stringify(payload.data));
}
