// The one "now" of the app wherever the time decides what a person sees or may do (booking
// window, deadlines, holds, calendars, today's day board). Tests pin it so they pass on any day;
// SQL on those paths takes this instant as a parameter instead of PostgreSQL's now(), so the pin
// reaches the database's decisions too. Pure bookkeeping (updated_at, session expiry, outbox
// timing) keeps the real time.
let pinnedAt: number | null = null;

/** The current instant (the pinned one while a test has pinned the clock). */
export function now(): Date {
  return new Date(pinnedAt ?? Date.now());
}

/** Stops the clock at `instant` (tests only); null lets it run again. */
export function setClock(instant: Date | null): void {
  pinnedAt = instant === null ? null : instant.getTime();
}
