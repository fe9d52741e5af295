// Log-out ends a citizen's session for good, though the session lives in a cookie the browser
// may have copied: each card holder has a session generation that log-out bumps, and a cookie
// issued under an older one is refused. Every app process learns the bumps from PostgreSQL
// (LISTEN/NOTIFY) and keeps them in memory, so a request reads nothing to check its cookie;
// while a process is not listening it reads the generation instead (never trusts a stale map).
// See docs/decisions/0015-citizen-sessions-in-a-cookie.md.
import type { Database } from '../../db/client.js';
import { listenForNotifications } from '../../db/notifications.js';

const CHANNEL = 'citizen_logout';

export interface SessionGenerations {
  /** Whether a cookie issued under `generation` is still good for this card holder. */
  isCurrent(cardHolderId: number, generation: number): Promise<boolean>;
  /** Ends every session of the card holder (all processes learn it as the statement commits). */
  logOut(cardHolderId: number): Promise<void>;
}

const BUMP = `
  WITH bumped AS (
    UPDATE card_holders SET session_generation = session_generation + 1, logged_out_at = now()
    WHERE id = $1 RETURNING id, session_generation)
  SELECT session_generation AS generation, pg_notify('${CHANNEL}', id || ':' || session_generation) FROM bumped`;
const RECENT = `SELECT id, session_generation AS generation FROM card_holders WHERE logged_out_at > now() - make_interval(hours => $1)`;
const ONE = `SELECT session_generation AS generation FROM card_holders WHERE id = $1`;

/** The generations bumped within a session's absolute lifetime (older cookies are refused anyway). */
export function watchLogouts(database: Database, absoluteHours: number): SessionGenerations {
  const lifetimeMs = absoluteHours * 3_600_000;
  const bumped = new Map<number, { generation: number; at: number }>();
  let listening = false;

  const note = (cardHolderId: number, generation: number) => {
    if ((bumped.get(cardHolderId)?.generation ?? 0) < generation) bumped.set(cardHolderId, { generation, at: Date.now() });
  };
  setInterval(() => {
    for (const [id, { at }] of bumped) if (Date.now() - at > lifetimeMs) bumped.delete(id);
  }, 3_600_000).unref();

  listenForNotifications(database, CHANNEL, {
    notified(payload) {
      const [id, generation] = payload.split(':').map(Number);
      if (Number.isInteger(id) && Number.isInteger(generation)) note(id, generation);
    },
    async listening(client) {
      const recent = await client.query<{ id: number; generation: number }>(RECENT, [absoluteHours]);
      for (const row of recent.rows) note(row.id, row.generation);
      listening = true;
    },
    lost: () => (listening = false),
  });

  return {
    async isCurrent(cardHolderId, generation) {
      if (listening) return generation >= (bumped.get(cardHolderId)?.generation ?? 0);
      const [row] = await database.query<{ generation: number }>(ONE, [cardHolderId]);
      return row !== undefined && generation >= row.generation;
    },
    async logOut(cardHolderId) {
      const [row] = await database.query<{ generation: number }>(BUMP, [cardHolderId]);
      if (row) note(cardHolderId, row.generation);
    },
  };
}
